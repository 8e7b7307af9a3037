"""The "Statement" section of /accounts/<id>: a range form whose "Download CSV" button
downloads the account's statement (as the API's statement.csv), and a bad range shown on
the page next to its field."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from tests.support.clients import bearer
from tests.support.pages import browser, field_errors, soup

EMAIL = "member@example.com"
OTHER_EMAIL = "other@example.com"


@pytest.fixture
def main(client, register, login, admin) -> str:
    """The member's Main, which received 100.00 ("=cmd" as its memo) and sent 12.50 to Other."""
    register(EMAIL, "Member")
    register(OTHER_EMAIL, "Other")
    accounts = {}
    for email in (EMAIL, OTHER_EMAIL):
        headers = bearer(login(email))
        accounts[email] = (
            client.get("/api/v1/accounts", headers=headers).get_json()["data"][0]["id"],
            headers,
        )
    main, headers = accounts[EMAIL]
    response = client.post(
        f"/api/v1/accounts/{main}/deposits", json={"amount": 100_00, "memo": "=cmd"}, headers=admin
    )
    assert response.status_code == 201
    body = {"fromAccountId": main, "toAccountId": accounts[OTHER_EMAIL][0], "amount": 12_50}
    assert client.post("/api/v1/transfers", json=body, headers=headers).status_code == 201
    return main


@pytest.fixture
def member_browser(app, main):
    return browser(app, EMAIL)


def statement_form(page):
    section = page.find("section", attrs={"aria-labelledby": "statement-heading"})
    assert section is not None and section.h2.get_text(strip=True) == "Statement"
    form = section.find("form")
    assert form["method"] == "get"
    return form


def test_the_account_page_has_the_range_form_and_the_download_button(member_browser, main):
    form = statement_form(soup(member_browser.get(f"/accounts/{main}")))
    today = datetime.now(UTC).date()
    assert form["action"] == f"/accounts/{main}/statement.csv"
    fields = {field["name"]: field for field in form.find_all("input")}
    assert set(fields) == {"from", "to"}
    assert fields["from"]["value"] == today.replace(day=1).isoformat()
    assert fields["to"]["value"] == today.isoformat()
    assert fields["from"]["type"] == fields["to"]["type"] == "date"
    for field in fields.values():  # each has its label
        assert form.find("label", attrs={"for": field["id"]}) is not None
    assert form.find("button", type="submit").get_text(strip=True) == "Download CSV"


def test_the_button_downloads_the_statement_as_the_api_writes_it(member_browser, main):
    today = datetime.now(UTC).date()
    query = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    response = member_browser.get(f"/accounts/{main}/statement.csv", query_string=query)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="tally-{main}-{query["from"]}-{query["to"]}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))
    header = "date,transactionId,type,counterparty,memo,amount,balanceAfter,currency\r\n"
    assert response.get_data(as_text=True).startswith(header)
    assert [row[2:] for row in rows[1:]] == [
        ["deposit", "", "'=cmd", "100.00", "100.00", "USD"],
        ["transfer", OTHER_EMAIL, "", "-12.50", "87.50", "USD"],
    ]


def test_empty_days_take_the_defaults(member_browser, main):
    response = member_browser.get(f"/accounts/{main}/statement.csv?from=&to=")
    today = datetime.now(UTC).date()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="tally-{main}-{today.replace(day=1)}-{today}.csv"'
    )


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2024-01-01", "to": "2025-01-01"}, "statement-to", "at most 366 days"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "statement-to", "on or after the start"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "statement-from", "no such day"),
        ({"from": "1/3/2026", "to": "2026-03-01"}, "statement-from", "YYYY-MM-DD"),
    ],
)
def test_a_bad_range_is_shown_on_the_account_page_next_to_its_field(
    member_browser, main, query, field, message
):
    response = member_browser.get(f"/accounts/{main}/statement.csv", query_string=query)
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = soup(response)
    (error,) = field_errors(page, field)
    assert message in error
    form = statement_form(page)
    assert {f["name"]: f["value"] for f in form.find_all("input")} == query  # kept as typed
    assert page.select_one("table.history") is not None  # the rest of the page is there


def test_another_members_statement_is_the_404_page(app, main, client, login):
    other = browser(app, OTHER_EMAIL)
    response = other.get(f"/accounts/{main}/statement.csv")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_an_anonymous_visitor_is_sent_to_log_in(client, main):
    response = client.get(f"/accounts/{main}/statement.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
