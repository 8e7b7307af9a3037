"""`GET /accounts/{id}/transactions?type=&from=&to=&q=`: each filter alone and combined, a
malformed one refused naming it, a filtered cursor walk that sees every matching line once,
and the same number of SQL statements with filters as without."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.envelopes import assert_error, assert_success
from tests.support.history_lines import DAY, LINES, Line, Written, write_lines
from webapp.models.ledger import TRANSACTION_TYPES, TX_DEPOSIT, TX_TRANSFER


def main_id(client, headers) -> str:
    return assert_success(client.get("/api/v1/accounts", headers=headers))[0]["id"]


@pytest.fixture
def history(app, client, member, bob) -> tuple[str, list[Written]]:
    """The member's Main with LINES written on it (Bob is the counterparty of the transfers)."""
    account, other = main_id(client, member), main_id(client, bob)
    with app.app_context():
        written = write_lines(int(account), int(other), LINES)
    return account, written


def memos(client, headers, account, **query) -> list[str | None]:
    url = f"/api/v1/accounts/{account}/transactions?{urlencode(query)}"
    return [line["memo"] for line in assert_success(client.get(url, headers=headers))]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {},
            ["1000 bonusXpay", "100% bonus_pay", "Lunch back", None, "Rent for November", "Salary"],
        ),
        ({"type": "transfer"}, ["Lunch back", "Rent for November"]),
        ({"type": "order_payment"}, [None]),
        ({"type": "refund"}, []),
        ({"from": "2026-11-13"}, ["1000 bonusXpay", "100% bonus_pay", "Lunch back"]),
        ({"to": "2026-11-11"}, ["Rent for November", "Salary"]),
        # Both days inclusive: a line at 00:00:00 and one at 23:59:59 of the range's days.
        ({"from": "2026-11-11", "to": "2026-11-13"}, ["Lunch back", None, "Rent for November"]),
        ({"from": "2026-11-12", "to": "2026-11-12"}, [None]),
        ({"from": "2026-11-14", "to": "2026-11-14"}, []),
        ({"q": "rent"}, ["Rent for November"]),
        ({"q": "LUNCH"}, ["Lunch back"]),
        # The counterparty's email, in any case; never the account owner's own.
        ({"q": "BOB@example"}, ["Lunch back", "Rent for November"]),
        ({"q": "member@"}, []),
        # % and _ are themselves, not wildcards.
        ({"q": "100%"}, ["100% bonus_pay"]),
        ({"q": "bonus_pay"}, ["100% bonus_pay"]),
        ({"q": "%"}, ["100% bonus_pay"]),
        ({"q": "_"}, ["100% bonus_pay"]),
        ({"q": "\\"}, []),
        # Blank text searches for nothing (as a form's empty field).
        (
            {"q": "   "},
            ["1000 bonusXpay", "100% bonus_pay", "Lunch back", None, "Rent for November", "Salary"],
        ),
        # Combined: every filter must match.
        ({"type": "transfer", "q": "bob", "from": "2026-11-12"}, ["Lunch back"]),
        ({"type": "deposit", "q": "bonus", "to": "2026-11-15"}, ["100% bonus_pay"]),
        ({"type": "deposit", "q": "rent"}, []),
    ],
)
def test_each_filter_alone_and_combined(client, member, history, query, expected):
    account, _ = history
    assert memos(client, member, account, **query) == expected


def test_filtered_lines_are_the_same_lines_as_unfiltered(client, member, history):
    account, _ = history
    url = f"/api/v1/accounts/{account}/transactions"
    every = {line["id"]: line for line in assert_success(client.get(url, headers=member))}
    rent = assert_success(client.get(f"{url}?q=rent", headers=member))
    assert rent == [every[rent[0]["id"]]]
    assert rent[0]["counterparty"] == {"name": "Bob", "email": "bob@example.com"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"type": "gift"}, "type"),
        ({"type": ""}, "type"),
        ({"type": "Transfer"}, "type"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "11/10/2026"}, "from"),
        ({"from": "2026-11-10T00:00:00"}, "from"),
        ({"from": "1700000000"}, "from"),
        ({"from": ""}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"to": "yesterday"}, "to"),
        ({"to": "2026-11-10\n"}, "to"),
        ({"from": "2026-11-12", "to": "2026-11-11"}, "from"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_a_malformed_filter_is_422_naming_it(client, member, history, query, field):
    account, _ = history
    url = f"/api/v1/accounts/{account}/transactions?{urlencode(query)}"
    error = assert_error(client.get(url, headers=member), 422, "VALIDATION_ERROR")
    assert set(error["details"]) == {field}


def test_the_longest_text_and_the_widest_range_are_accepted(client, member, history):
    account, _ = history
    query = {"q": "x" * 100, "from": "0001-01-01", "to": "9999-12-31"}
    assert memos(client, member, account, **query) == []
    assert len(memos(client, member, account, **{"from": "0001-01-01", "to": "9999-12-31"})) == 6


def test_another_members_account_is_404_with_or_without_filters(client, bob, history):
    account, _ = history
    for query in ("", "?type=transfer&q=rent&from=2026-11-01&to=2026-11-30"):
        response = client.get(f"/api/v1/accounts/{account}/transactions{query}", headers=bob)
        assert_error(response, 404, "NOT_FOUND")


def test_an_admin_filters_a_members_history(client, admin, history):
    account, _ = history
    assert memos(client, admin, account, type="transfer", q="rent") == ["Rent for November"]


def walk(client, headers, account, query, limit) -> list[str]:
    """Every line id of a cursor walk, the filters sent again with each cursor."""
    seen: list[str] = []
    cursor = None
    while True:
        params = {**query, "limit": limit, **({"cursor": cursor} if cursor else {})}
        url = f"/api/v1/accounts/{account}/transactions?{urlencode(params)}"
        body = client.get(url, headers=headers).get_json()
        seen += [line["id"] for line in body["data"]]
        pagination = body["meta"]["pagination"]
        if not pagination["hasMore"]:
            return seen
        cursor = pagination["nextCursor"]


def test_a_filtered_walk_visits_every_matching_line_once(app, client, member, bob):
    account, other = main_id(client, member), main_id(client, bob)
    lines = [Line(TX_DEPOSIT, DAY, 1_000_00, "start")] + [
        Line(
            TX_TRANSFER if n % 3 == 0 else TX_DEPOSIT,
            DAY + timedelta(days=n % 7),
            -n if n % 3 == 0 else n,
            f"rent {n}" if n % 2 else f"food {n}",
        )
        for n in range(1, 61)
    ]
    with app.app_context():
        written = write_lines(int(account), int(other), lines)
    query = {"type": "transfer", "q": "rent", "from": "2026-11-11", "to": "2026-11-15"}
    expected = [
        str(w.entry_id)
        for w in reversed(written)
        if w.matches("transfer", date(2026, 11, 11), date(2026, 11, 15), "rent")
    ]
    assert len(expected) >= 5
    assert walk(client, member, account, query, limit=2) == expected


def test_statements_are_the_same_with_and_without_filters(
    client, member, history, count_statements
):
    account, _ = history
    queries = [
        {},
        {"type": "transfer"},
        {"from": "2026-11-11", "to": "2026-11-30"},
        {"q": "bob"},
        {"type": "transfer", "q": "bob", "from": "2026-11-11", "to": "2026-11-30"},
    ]
    counts = []
    for query in queries:
        url = f"/api/v1/accounts/{account}/transactions?{urlencode(query)}"
        client.get(url, headers=member)  # warm
        with count_statements() as counter:
            lines = assert_success(client.get(url, headers=member))
        assert any(line["counterparty"] for line in lines)  # the counterparty lookup ran
        counts.append(counter.count)
    assert len(set(counts)) == 1, counts


# --- Any ledger, any filters ----------------------------------------------------------------

# Memo letters that LIKE treats specially, and letters of both cases.
MEMO_ALPHABET = "abAB%_\\ "
days = st.dates(min_value=DAY, max_value=DAY + timedelta(days=4))
lines_strategy = st.lists(
    st.builds(
        Line,
        type=st.sampled_from(TRANSACTION_TYPES),
        day=days,
        amount=st.integers(1, 1_000),
        memo=st.none() | st.text(MEMO_ALPHABET, max_size=6),
        seconds=st.integers(0, 86_399),
    ),
    max_size=25,
)
filters_strategy = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(TRANSACTION_TYPES),
        "from": days,
        "to": days,
        "q": st.text(MEMO_ALPHABET + "@.e", min_size=1, max_size=3),
    },
).filter(lambda f: "from" not in f or "to" not in f or f["from"] <= f["to"])


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=lines_strategy, filters=filters_strategy, limit=st.integers(1, 5))
def test_any_filtered_walk_of_any_ledger_visits_every_matching_line_once(
    app, client, member, bob, lines, filters, limit
):
    # A fresh account for each example: what earlier examples wrote is in other accounts.
    opened = client.post(
        "/api/v1/accounts", json={"name": f"A{len(walk_accounts)}"}, headers=member
    )
    account = assert_success(opened, 201)["id"]
    walk_accounts.append(account)
    with app.app_context():
        written = write_lines(int(account), int(main_id(client, bob)), lines)
    expected = [
        str(w.entry_id)
        for w in reversed(written)
        if w.matches(filters.get("type"), filters.get("from"), filters.get("to"), filters.get("q"))
    ]
    query = {name: str(value) for name, value in filters.items()}
    assert walk(client, member, account, query, limit) == expected


walk_accounts: list[str] = []
