"""/accounts/<id>'s "Balance" section: the last 30 days' closing balances as an inline SVG
line, and a visually hidden table of the same numbers, the API's numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from tests.support.clients import bearer
from tests.support.pages import browser, soup, table_rows
from webapp.infra.extensions import db
from webapp.models import LedgerEntry

EMAIL = "member@example.com"


@pytest.fixture
def member_account(client, register, login, make_admin, app) -> tuple[str, dict]:
    """The member's Main: 20.00 USD ten days ago, 5.50 more today."""
    register(EMAIL, "Member")
    make_admin("admin@example.com")
    member, admin = bearer(login(EMAIL)), bearer(login("admin@example.com"))
    account_id = client.get("/api/v1/accounts", headers=member).get_json()["data"][0]["id"]
    for amount in (20_00, 5_50):
        response = client.post(
            f"/api/v1/accounts/{account_id}/deposits", json={"amount": amount}, headers=admin
        )
        assert response.status_code == 201
    first = response.get_json()["data"]["id"]
    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            update(LedgerEntry)
            .where(LedgerEntry.transaction_id < int(first))
            .values(created_at=ten_days_ago)
        )
    return account_id, member


def chart_points(page) -> list[tuple[str, int]]:
    return [
        (point["data-day"], int(point["data-value"]))
        for point in page.select("section.balance-card svg.line-chart circle.point")
    ]


def minor_units(text: str) -> int:
    """ "25.50 USD" → 2550."""
    return int(Decimal(text.split()[0]) * 100)


def test_the_account_page_draws_the_last_30_days_balance_as_a_line(app, client, member_account):
    account_id, member = member_account
    page = soup(browser(app).get(f"/accounts/{account_id}"))
    section = page.select_one("section.balance-card")
    assert section.h2.get_text(strip=True) == "Balance, last 30 days"
    svg = section.select_one("svg.line-chart")
    assert svg["role"] == "img"
    assert page.find(id=svg["aria-labelledby"]).parent is svg
    assert "25.50 USD" in page.find(id=svg["aria-describedby"]).get_text()
    api = client.get(f"/api/v1/accounts/{account_id}/balance-history", headers=member)
    expected = [(day["date"], day["balance"]) for day in api.get_json()["data"]]
    assert chart_points(page) == expected
    today = datetime.now(UTC).date()
    assert expected[-1] == (today.isoformat(), 25_50)
    assert expected[-11] == ((today - timedelta(days=10)).isoformat(), 20_00)
    assert expected[-12][1] == 0
    # One point per day, left to right, on one line; higher balances drawn higher.
    xs = [float(p["cx"]) for p in svg.select("circle.point")]
    assert xs == sorted(xs) and len(set(xs)) == 30
    polyline = svg.select_one("polyline.line")["points"].split()
    assert len(polyline) == 30
    ys = [float(p["cy"]) for p in svg.select("circle.point")]
    assert ys[-1] < ys[-2] < ys[0]
    labels = [t.get_text() for t in svg.select("text.day-label")]
    assert labels[-1] == today.strftime("%m-%d") and 1 < len(labels) <= 8
    # Round amounts of the account's currency, from 0 past the highest balance.
    assert [t.get_text() for t in svg.select("text.tick-label")] == ["0", "10", "20", "30"]


def test_the_hidden_table_gives_the_same_numbers_as_the_chart(app, member_account):
    account_id, _ = member_account
    page = soup(browser(app).get(f"/accounts/{account_id}"))
    table = page.select_one("section.balance-card table.balance-table")
    assert "visually-hidden" in table["class"]
    assert table.caption.get_text(strip=True)
    rows = table_rows(page, "table.balance-table")
    assert [(day, minor_units(balance)) for day, balance in rows] == chart_points(page)


def test_an_admin_sees_a_members_balance_chart_and_another_member_gets_404(
    app, register, member_account
):
    account_id, _ = member_account
    admin_page = soup(browser(app, "admin@example.com").get(f"/accounts/{account_id}"))
    assert chart_points(admin_page)[-1][1] == 25_50
    register("other@example.com", "Other")
    assert browser(app, "other@example.com").get(f"/accounts/{account_id}").status_code == 404
