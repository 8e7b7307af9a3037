"""GET /api/v1/accounts/{id}/balance-history: the closing balance of each UTC day, read from
the ledger, checked against a balance recomputed from the ledger lines' amounts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.support.envelopes import assert_error, assert_success
from webapp.infra.extensions import db
from webapp.models import LedgerEntry, LedgerTransaction

MARCH = ("2024-03-01", "2024-03-31")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def main_account(client, headers) -> str:
    return assert_success(client.get("/api/v1/accounts", headers=headers))[0]["id"]


def history(client, headers, account_id, **query):
    return client.get(
        f"/api/v1/accounts/{account_id}/balance-history", query_string=query, headers=headers
    )


def backdate(app, transaction_id: str, when: datetime) -> None:
    """Move a transaction and its lines to `when`."""
    with app.app_context(), db.engine.begin() as connection:
        tid = int(transaction_id)
        connection.execute(
            update(LedgerTransaction).where(LedgerTransaction.id == tid).values(created_at=when)
        )
        connection.execute(
            update(LedgerEntry).where(LedgerEntry.transaction_id == tid).values(created_at=when)
        )


def recomputed(app, account_id: str, days: list[date]) -> list[dict]:
    """Each day's closing balance as the sum of the amounts of every line before its end."""
    with app.app_context():
        lines = db.session.execute(
            select(LedgerEntry.amount, LedgerEntry.created_at).where(
                LedgerEntry.account_id == int(account_id)
            )
        ).all()
    closing = []
    for day in days:
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        closing.append(
            {"date": day.isoformat(), "balance": sum(a for a, when in lines if when < end)}
        )
    return closing


def march() -> list[date]:
    return [date(2024, 3, 1) + timedelta(days=n) for n in range(31)]


@pytest.fixture
def seeded_month(app, client, admin, alice, bob):
    """A month of deposits and transfers between Alice and Bob at chosen times: one line the
    day before March, several on one day, lines at the first and last instant of a UTC day,
    days without any, and one line just after March."""
    a, b = main_account(client, alice), main_account(client, bob)

    def deposit(account_id, amount):
        response = client.post(
            f"/api/v1/accounts/{account_id}/deposits", json={"amount": amount}, headers=admin
        )
        return assert_success(response, 201)["id"]

    def transfer(headers, source, target, amount):
        body = {"fromAccountId": source, "toAccountId": target, "amount": amount}
        response = client.post("/api/v1/transfers", json=body, headers=headers)
        return assert_success(response, 201)["id"]

    movements = [
        ("2024-02-29 23:59:59.999999", lambda: deposit(a, 100_00)),
        ("2024-03-01 00:00:00", lambda: transfer(alice, a, b, 10_00)),
        ("2024-03-01 12:00:00", lambda: deposit(a, 5_00)),
        ("2024-03-03 23:59:59.999999", lambda: transfer(bob, b, a, 2_50)),
        ("2024-03-04 00:00:00", lambda: transfer(alice, a, b, 1_00)),
        ("2024-03-10 08:00:00", lambda: transfer(alice, a, b, 30_00)),
        ("2024-03-10 09:30:00", lambda: deposit(b, 7_00)),
        ("2024-03-10 17:45:00", lambda: transfer(bob, b, a, 12_34)),
        ("2024-03-17 06:00:00", lambda: deposit(a, 1)),
        ("2024-03-25 13:00:00", lambda: transfer(alice, a, b, 50_00)),
        ("2024-03-31 23:59:59", lambda: transfer(bob, b, a, 99)),
        ("2024-04-01 00:00:00", lambda: deposit(a, 99_00)),
    ]
    for when, move in movements:
        backdate(app, move(), at(when))
    return a, b


def test_each_day_of_a_month_closes_at_the_balance_recomputed_from_the_ledger(
    app, client, alice, bob, seeded_month
):
    a, b = seeded_month
    days = march()
    for headers, account_id in ((alice, a), (bob, b)):
        data = assert_success(
            history(client, headers, account_id, **{"from": MARCH[0], "to": MARCH[1]})
        )
        assert data == recomputed(app, account_id, days)
    alices = assert_success(history(client, alice, a, **{"from": MARCH[0], "to": MARCH[1]}))
    closing = {day["date"]: day["balance"] for day in alices}
    # The line the day before March counts; the one just after it does not.
    assert closing["2024-03-01"] == 100_00 - 10_00 + 5_00
    assert closing["2024-03-02"] == closing["2024-03-01"]  # a day without movement
    assert closing["2024-03-03"] == closing["2024-03-01"] + 2_50  # its last instant
    assert closing["2024-03-31"] == closing["2024-03-25"] + 99
    assert all(isinstance(day["balance"], int) for day in alices)


def test_a_range_starting_after_every_line_carries_the_last_balance(
    app, client, alice, seeded_month
):
    a, _ = seeded_month
    data = assert_success(history(client, alice, a, **{"from": "2024-04-02", "to": "2024-04-04"}))
    final = recomputed(app, a, [date(2024, 4, 1)])[0]["balance"]
    assert data == [{"date": f"2024-04-0{d}", "balance": final} for d in (2, 3, 4)]


def test_a_range_before_any_line_is_all_zero(client, alice, seeded_month):
    a, _ = seeded_month
    data = assert_success(history(client, alice, a, **{"from": "2024-01-01", "to": "2024-01-03"}))
    assert data == [{"date": f"2024-01-0{d}", "balance": 0} for d in (1, 2, 3)]


def test_the_default_is_the_last_30_days_ending_today(client, admin, alice):
    a = main_account(client, alice)
    client.post(f"/api/v1/accounts/{a}/deposits", json={"amount": 4_00}, headers=admin)
    data = assert_success(history(client, alice, a))
    today = datetime.now(UTC).date()
    assert [day["date"] for day in data] == [
        (today - timedelta(days=back)).isoformat() for back in range(29, -1, -1)
    ]
    assert data[-1]["balance"] == 4_00
    only_to = assert_success(history(client, alice, a, to="2024-03-31"))
    assert (only_to[0]["date"], only_to[-1]["date"], len(only_to)) == (
        "2024-03-02",
        "2024-03-31",
        30,
    )
    assert assert_success(history(client, alice, a, **{"from": "", "to": ""})) == data  # a form's
    only_from = assert_success(history(client, alice, a, **{"from": today.isoformat()}))
    assert only_from == [{"date": today.isoformat(), "balance": 4_00}]


def test_the_number_of_statements_is_the_same_for_7_and_366_days(
    client, alice, seeded_month, count_statements
):
    a, _ = seeded_month
    counts = {}
    for first, last in (("2024-03-01", "2024-03-07"), ("2023-04-01", "2024-03-31")):
        with count_statements() as counter:
            data = assert_success(history(client, alice, a, **{"from": first, "to": last}))
        counts[len(data)] = counter
    assert set(counts) == {7, 366}
    assert counts[7].count == counts[366].count
    ledger_reads = [s for s in counts[366].statements if "ledger_entries" in s]
    assert len(ledger_reads) == 2  # the balance before the range, and each day's last line


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2024-3-1"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2024-02-30"}, "from"),
        ({"to": "2024-13-01"}, "to"),
        ({"to": "2024-03-01T00:00:00"}, "to"),
        ({"to": "0001-01-02"}, "to"),  # 30 days back from it is no date
        ({"to": "9999-12-31"}, "to"),
        ({"from": "2024-03-02", "to": "2024-03-01"}, "from"),
        ({"from": "2023-03-31", "to": "2024-03-31"}, "from"),  # 367 days
    ],
)
def test_a_malformed_date_or_range_is_422_naming_the_field(client, alice, query, field):
    a = main_account(client, alice)
    error = assert_error(history(client, alice, a, **query), 422, "VALIDATION_ERROR")
    assert set(error["details"]) == {field}


def test_366_days_is_the_longest_range(client, alice):
    a = main_account(client, alice)
    data = assert_success(history(client, alice, a, **{"from": "2023-04-01", "to": "2024-03-31"}))
    assert len(data) == 366 and {day["balance"] for day in data} == {0}


def test_another_members_account_is_404_and_an_admin_may_read_any(
    client, admin, alice, bob, seeded_month
):
    a, _ = seeded_month
    assert_error(history(client, bob, a), 404, "NOT_FOUND")
    assert_error(history(client, alice, "999999"), 404, "NOT_FOUND")
    query = {"from": MARCH[0], "to": MARCH[1]}
    assert assert_success(history(client, admin, a, **query)) == assert_success(
        history(client, alice, a, **query)
    )


def test_without_a_token_it_is_401(client, alice):
    a = main_account(client, alice)
    assert_error(client.get(f"/api/v1/accounts/{a}/balance-history"), 401, "UNAUTHORIZED")
