"""The history filters on /accounts/<id>: type, day range and text, alone and combined; the
values survive paging ("Older" carries them); a malformed filter is shown on its field on a
200 page; an empty result says so and offers to clear the filters."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask.testing import FlaskClient

from tests.support.clients import bearer
from tests.support.envelopes import assert_success
from tests.support.history_lines import DAY, LINES, Line, write_lines
from tests.support.pages import all_field_errors, browser, soup, table_rows
from webapp.models.ledger import TX_DEPOSIT, TX_ORDER_PAYMENT, TX_TRANSFER


@pytest.fixture
def mains(app, client, register, login) -> tuple[str, str]:
    """The Main accounts of the member (with LINES on it) and of Bob, the landlord: the
    counterparty of the member's transfers."""
    register("member@example.com", "Member")
    register("bob@example.com", "Landlord Bob")
    main, bob_main = (
        assert_success(client.get("/api/v1/accounts", headers=bearer(login(email))))[0]["id"]
        for email in ("member@example.com", "bob@example.com")
    )
    with app.app_context():
        write_lines(int(main), int(bob_main), LINES)
    return main, bob_main


@pytest.fixture
def main(mains) -> str:
    return mains[0]


@pytest.fixture
def member_browser(app, main) -> FlaskClient:
    return browser(app)


def memos_on(client: FlaskClient, main: str, **query: str) -> list[str]:
    response = client.get(f"/accounts/{main}", query_string=query)
    assert response.status_code == 200
    return [row[2] for row in table_rows(soup(response), "table.history")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["1000 bonusXpay", "100% bonus_pay", "Lunch back", "", "Rent for November", "Salary"]),
        ({"type": "transfer"}, ["Lunch back", "Rent for November"]),
        (
            {"type": ""},
            ["1000 bonusXpay", "100% bonus_pay", "Lunch back", "", "Rent for November", "Salary"],
        ),
        ({"from": "2026-11-13"}, ["1000 bonusXpay", "100% bonus_pay", "Lunch back"]),
        ({"to": "2026-11-11"}, ["Rent for November", "Salary"]),
        ({"from": "2026-11-11", "to": "2026-11-13"}, ["Lunch back", "", "Rent for November"]),
        ({"q": "bob@EXAMPLE"}, ["Lunch back", "Rent for November"]),
        ({"q": "100%"}, ["100% bonus_pay"]),
        ({"q": "bonus_pay"}, ["100% bonus_pay"]),
        ({"type": "transfer", "q": "bob", "from": "2026-11-12", "to": ""}, ["Lunch back"]),
    ],
)
def test_each_filter_alone_and_combined(member_browser, main, query, expected):
    assert memos_on(member_browser, main, **query) == expected


def test_the_form_shows_the_filters_it_applied(member_browser, main):
    query = {"type": "transfer", "from": "2026-11-11", "to": "2026-11-30", "q": "rent"}
    page = soup(member_browser.get(f"/accounts/{main}", query_string=query))
    form = page.select_one("form.history-filters")
    assert form["method"] == "get"
    assert form.select_one("select[name=type] option[selected]")["value"] == "transfer"
    assert [o.get_text() for o in form.select("select[name=type] option")] == [
        "Any",
        "Deposit",
        "Transfer",
        "Order payment",
        "Refund",
    ]
    assert form.select_one("input[name=from]")["value"] == "2026-11-11"
    assert form.select_one("input[name=to]")["value"] == "2026-11-30"
    assert form.select_one("input[name=q]")["value"] == "rent"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2026-13-01"}, "from", "Enter a day as YYYY-MM-DD."),
        ({"to": "soon"}, "to", "Enter a day as YYYY-MM-DD."),
        (
            {"from": "2026-11-12", "to": "2026-11-11"},
            "from",
            "The first day must not be after the last day.",
        ),
        ({"q": "x" * 101}, "q", "Field cannot be longer than 100 characters."),
        ({"type": "gift"}, "type", "Not a valid choice."),
    ],
)
def test_a_malformed_filter_is_shown_on_its_field(member_browser, main, query, field, message):
    response = member_browser.get(f"/accounts/{main}", query_string=query)
    assert response.status_code == 200
    page = soup(response)
    assert all_field_errors(page) == {field: [message]}
    assert page.select_one("table.history") is None
    assert page.select_one(".balance").get_text(strip=True) == "431.50 USD"
    assert page.find("a", string="Clear filters")["href"] == f"/accounts/{main}"


def test_an_empty_result_says_so_and_offers_to_clear_the_filters(member_browser, main):
    page = soup(member_browser.get(f"/accounts/{main}", query_string={"type": "refund"}))
    empty = page.select_one("p.empty")
    assert empty.get_text(" ", strip=True) == "No lines match these filters. Clear filters"
    assert empty.a["href"] == f"/accounts/{main}"
    assert page.select_one("table.history") is None


def test_the_older_link_keeps_the_filters_and_visits_every_match_once(app, member_browser, mains):
    main, bob_main = mains
    more = [
        Line(TX_TRANSFER, DAY + timedelta(days=n % 4), -n, f"rent {n}" if n % 3 else f"food {n}")
        for n in range(1, 140)
    ]
    more += [Line(TX_DEPOSIT, DAY, 1, "rent by deposit"), Line(TX_ORDER_PAYMENT, DAY, -1, "rent")]
    with app.app_context():
        write_lines(int(main), int(bob_main), more)
    query = {"type": "transfer", "q": "RENT", "from": "2026-11-11", "to": "2026-11-12"}
    expected = [
        line.memo
        for line in reversed(LINES + more)
        if line.type == TX_TRANSFER
        and "rent" in (line.memo or "").lower()
        and DAY + timedelta(days=1) <= line.day <= DAY + timedelta(days=2)
    ]
    assert len(expected) > 40  # three pages
    seen: list[str] = []
    pages = 0
    url: str | None = f"/accounts/{main}?{urlencode(query)}"
    while url:
        response = member_browser.get(url)
        assert response.status_code == 200
        page = soup(response)
        seen += [row[2] for row in table_rows(page, "table.history")]
        pages += 1
        if pages > 1:  # "Newest" goes back to the first page of the same filters
            newest = urlsplit(page.find("a", string="Newest")["href"])
            assert newest.path == f"/accounts/{main}"
            assert {k: v[0] for k, v in parse_qs(newest.query).items()} == query
        older = page.find("a", rel="next")
        url = older["href"] if older else None
        if url:
            carried = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
            assert carried.pop("cursor")
            assert carried == query
    assert seen == expected
    assert pages == 3


def test_another_members_account_is_404_with_filters(app, main, register):
    register("eve@example.com", "Eve")
    response = browser(app, "eve@example.com").get(
        f"/accounts/{main}", query_string={"type": "transfer", "q": "rent"}
    )
    assert response.status_code == 404
    assert "Rent for November" not in response.get_data(as_text=True)
    # A malformed filter tells another member no more than a good one.
    response = browser(app, "eve@example.com").get(
        f"/accounts/{main}", query_string={"from": "2026-11-12", "to": "2026-11-11"}
    )
    assert response.status_code == 404


def test_the_page_costs_the_same_statements_with_and_without_filters(
    member_browser, main, count_statements
):
    counts = []
    for query in ({}, {"type": "transfer", "q": "bob", "from": "2026-11-11", "to": "2026-11-30"}):
        member_browser.get(f"/accounts/{main}", query_string=query)  # warm
        with count_statements() as counter:
            response = member_browser.get(f"/accounts/{main}", query_string=query)
        assert "Landlord Bob" in response.get_data(as_text=True)  # the counterparty lookup ran
        counts.append(counter.count)
    assert counts[0] == counts[1]
