"""GET /api/v1/accounts/{id}/statement.csv: the account's ledger lines as CSV, oldest first,
with the contract's columns, decimals and formula guard; streamed in constant memory."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.support.access_tokens import make_token, pat
from tests.support.envelopes import assert_error, assert_success
from tests.support.ledger_data import build_history
from webapp.infra.extensions import db
from webapp.models import LedgerEntry, LedgerTransaction

HEADER_LINE = "date,transactionId,type,counterparty,memo,amount,balanceAfter,currency\r\n"
HEADER = HEADER_LINE.strip().split(",")


def account_of(client, headers) -> str:
    (account,) = assert_success(client.get("/api/v1/accounts", headers=headers))
    return account["id"]


def deposit(client, admin, account_id, amount, memo=None) -> dict:
    response = client.post(
        f"/api/v1/accounts/{account_id}/deposits",
        json={"amount": amount, "memo": memo},
        headers=admin,
    )
    return assert_success(response, 201)


def send(client, headers, source, target, amount, memo=None) -> dict:
    body = {"fromAccountId": source, "toAccountId": target, "amount": amount, "memo": memo}
    return assert_success(client.post("/api/v1/transfers", json=body, headers=headers), 201)


def statement_url(account_id: str, **query: str) -> str:
    text = "&".join(f"{name}={value}" for name, value in query.items())
    return f"/api/v1/accounts/{account_id}/statement.csv" + (f"?{text}" if text else "")


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


def today() -> date:
    return datetime.now(UTC).date()


@pytest.fixture
def ledger(client, admin, alice, bob):
    """Alice: a deposit of 100.00, 12.50 sent to Bob, 2.05 received from Bob."""
    a, b = account_of(client, alice), account_of(client, bob)
    deposit(client, admin, a, 100_00, "Salary")
    send(client, alice, a, b, 12_50, "Lunch")
    send(client, bob, b, a, 2_05, "Coffee")
    return a, b


def test_the_statement_is_the_header_then_every_line_oldest_first_in_decimals(
    client, alice, ledger
):
    a, _ = ledger
    response = client.get(statement_url(a), headers=alice)
    rows = rows_of(response)
    assert response.get_data(as_text=True).startswith(HEADER_LINE)
    first_of_month, now = today().replace(day=1), today()
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="tally-{a}-{first_of_month}-{now}.csv"'
    )
    history = assert_success(client.get(f"/api/v1/accounts/{a}/transactions", headers=alice))
    assert rows[0] == HEADER
    assert rows[1:] == [
        [
            line["createdAt"],
            line["transactionId"],
            line["type"],
            (line["counterparty"] or {}).get("email", ""),
            line["memo"],
            amount,
            balance,
            "USD",
        ]
        for line, amount, balance in zip(
            reversed(history),
            ["100.00", "-12.50", "2.05"],
            ["100.00", "87.50", "89.55"],
            strict=True,
        )
    ]
    assert [row[3] for row in rows[1:]] == ["", "bob@example.com", "bob@example.com"]
    assert [row[2] for row in rows[1:]] == ["deposit", "transfer", "transfer"]
    balance = assert_success(client.get(f"/api/v1/accounts/{a}", headers=alice))["balance"]
    assert rows[-1][6] == "89.55" and balance == 89_55
    for row in rows[1:]:
        assert datetime.fromisoformat(row[0]).tzinfo is not None and row[0].endswith("Z")


def test_the_other_side_reads_the_same_transfers_signed_for_its_account(client, bob, ledger):
    _, b = ledger
    rows = rows_of(client.get(statement_url(b), headers=bob))
    assert [(r[3], r[5], r[6]) for r in rows[1:]] == [
        ("alice@example.com", "12.50", "12.50"),
        ("alice@example.com", "-2.05", "10.45"),
    ]


def test_an_account_in_yen_has_no_decimals(client, admin, alice):
    yen = assert_success(
        client.post("/api/v1/accounts", json={"name": "Yen", "currency": "JPY"}, headers=alice),
        201,
    )["id"]
    deposit(client, admin, yen, 1250)
    assert rows_of(client.get(statement_url(yen), headers=alice))[1][5:] == ["1250", "1250", "JPY"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_a_memo_that_would_start_a_formula_is_written_as_text(client, admin, alice, start):
    a = account_of(client, alice)
    deposit(client, admin, a, 5_00, f'{start}HYPERLINK("http://evil.example","x")')
    row = rows_of(client.get(statement_url(a), headers=alice))[1]
    assert row[4] == f'\'{start}HYPERLINK("http://evil.example","x")'
    assert row[5:7] == ["5.00", "5.00"]  # numbers stay numbers


@pytest.mark.parametrize("start", ["\t", "\r"])
def test_a_memo_starting_with_a_tab_or_a_carriage_return_is_written_as_text(
    app, client, admin, alice, start
):
    # The services strip a memo's surrounding whitespace, so such a memo can only be older
    # data: it is written into the row directly.
    a = account_of(client, alice)
    created = deposit(client, admin, a, 5_00, "placeholder")
    with app.app_context():
        db.session.execute(
            update(LedgerTransaction)
            .where(LedgerTransaction.id == int(created["id"]))
            .values(memo=f"{start}=1+1")
        )
        db.session.commit()
    row = rows_of(client.get(statement_url(a), headers=alice))[1]
    assert row[4] == f"'{start}=1+1"


def test_negative_amounts_stay_numbers_and_plain_memos_are_untouched(client, alice, ledger):
    a, _ = ledger
    rows = rows_of(client.get(statement_url(a), headers=alice))
    assert rows[2][4:7] == ["Lunch", "-12.50", "87.50"]


def test_commas_quotes_and_newlines_round_trip_through_csv(client, admin, alice):
    a = account_of(client, alice)
    memo = 'Rent, "March"\nand the\r\nbalcony; 50% ünïcode'
    deposit(client, admin, a, 7_00, memo)
    rows = rows_of(client.get(statement_url(a), headers=alice))
    assert len(rows) == 2 and rows[1][4] == memo


def test_another_members_account_is_not_found_and_an_admin_may_read_it(
    client, admin, alice, bob, ledger
):
    a, _ = ledger
    assert_error(client.get(statement_url(a), headers=bob), 404, "NOT_FOUND")
    assert_error(client.get(statement_url("999999"), headers=alice), 404, "NOT_FOUND")
    assert len(rows_of(client.get(statement_url(a), headers=admin))) == 4
    assert_error(client.get(statement_url(a)), 401, "UNAUTHORIZED")


def test_a_read_personal_access_token_may_fetch_it(client, alice, ledger):
    a, _ = ledger
    token = make_token(client, alice, scopes=("read",))
    assert len(rows_of(client.get(statement_url(a), headers=pat(token)))) == 4


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2024-01-01", "to": "2025-01-01"}, "to"),  # 367 days
        ({"from": "2026-03-02", "to": "2026-03-01"}, "to"),  # from after to
        ({"from": "2026-02-30"}, "from"),
        ({"from": "01/03/2026"}, "from"),
        ({"to": "2026-3-1"}, "to"),
        ({"to": ""}, "to"),
        ({"from": "1700000000"}, "from"),
        ({"from": "\uff12\uff10\uff12\uff16-\uff10\uff13-\uff10\uff11"}, "from"),  # fullwidth
    ],
)
def test_a_bad_range_is_422_naming_the_field(client, alice, ledger, query, field):
    a, _ = ledger
    error = assert_error(
        client.get(statement_url(a, **query), headers=alice), 422, "VALIDATION_ERROR"
    )
    assert list(error["details"]) == [field]


def test_a_range_of_366_days_is_allowed_and_names_the_file(client, alice, ledger):
    a, _ = ledger
    response = client.get(
        statement_url(a, **{"from": "2024-01-01", "to": "2024-12-31"}), headers=alice
    )
    assert rows_of(response) == [HEADER]  # nothing moved then
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="tally-{a}-2024-01-01-2024-12-31.csv"'
    )


def test_only_lines_inside_the_range_are_listed_both_days_included(app, client, alice, ledger):
    a, _ = ledger
    with app.app_context():
        entries = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.account_id == int(a)).order_by(LedgerEntry.id)
        ).all()
        days = [
            datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
            datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(2026, 4, 1, tzinfo=UTC),
        ]
        for entry, at in zip(entries, days, strict=True):
            db.session.execute(
                update(LedgerEntry).where(LedgerEntry.id == entry.id).values(created_at=at)
            )
        db.session.commit()
    march = rows_of(
        client.get(statement_url(a, **{"from": "2026-03-01", "to": "2026-03-31"}), headers=alice)
    )
    assert [row[0] for row in march[1:]] == ["2026-03-01T00:00:00Z", "2026-03-31T23:59:59.999999Z"]
    assert rows_of(client.get(statement_url(a), headers=alice)) == [HEADER]  # this month: none
    only_the_first = client.get(
        statement_url(a, **{"from": "2026-02-01", "to": "2026-03-01"}), headers=alice
    )
    assert len(rows_of(only_the_first)) == 2


MEGABYTE = 1024 * 1024


def test_a_statement_of_100000_lines_streams_in_constant_memory(app, client, alice):
    a = account_of(client, alice)
    with app.app_context():
        build_history(int(a), 100_000, amount=1)
    since = today() - timedelta(days=2)
    url = statement_url(a, **{"from": since.isoformat(), "to": today().isoformat()})
    started = time.perf_counter()
    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        response = client.get(url, headers=alice, buffered=False)
        assert response.status_code == 200 and response.is_streamed
        lines, last, tail = 0, b"", b""
        for chunk in response.response:
            data = tail + chunk
            *complete, tail = data.split(b"\r\n")
            lines += len(complete)
            if complete:
                last = complete[-1]
        response.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    grown = (peak - baseline) / MEGABYTE
    seconds = time.perf_counter() - started
    print(
        f"\nstatement.csv: 100,000 lines streamed in {seconds:.1f} s, peak memory +{grown:.2f} MB"
    )
    assert lines == 100_001  # the header and every line
    assert next(csv.reader([last.decode()]))[5:] == ["0.01", "1000.00", "USD"]
    assert grown < 20, f"the peak grew by {grown:.1f} MB"


def test_no_database_connection_is_held_while_the_client_reads(app, client, alice):
    a = account_of(client, alice)
    with app.app_context():
        build_history(int(a), 2_500, amount=1)
        pool = db.engine.pool
    since = (today() - timedelta(days=2)).isoformat()
    response = client.get(statement_url(a, **{"from": since}), headers=alice, buffered=False)
    assert response.headers["X-Request-ID"]
    chunks = iter(response.response)
    read = [next(chunks), next(chunks)]  # the header, then the first 1000 lines
    assert pool.checkedout() == 0  # each chunk's unit of work gave its connection back
    read += list(chunks)
    response.close()
    text = b"".join(read).decode()
    assert len(read) == 4 and text.count("\r\n") == 2_501
    assert pool.checkedout() == 0


def test_the_openapi_document_describes_the_csv_download(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/accounts/{accountId}/statement.csv"]["get"]
    ok = operation["responses"]["200"]
    assert set(ok["content"]) == {"text/csv"}
    assert ok["content"]["text/csv"]["schema"]["type"] == "string"
    assert ok["headers"]["Content-Disposition"]["required"] is True
    query = {p["name"]: p["schema"] for p in operation["parameters"] if p.get("in") == "query"}
    assert set(query) == {"from", "to"}
    for schema in query.values():
        assert schema["format"] == "date" and schema["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    assert {"401", "404", "422"} <= set(operation["responses"])


def test_a_head_request_answers_the_headers_without_reading_the_lines(client, alice, ledger):
    a, _ = ledger
    response = client.head(statement_url(a), headers=alice)
    assert response.status_code == 200 and response.get_data() == b""
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="tally-{a}-')
