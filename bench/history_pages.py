"""Benchmark: the first and the 2,000th page of a 100,000-entry account history.

Keyset pagination should make both cost the same; this prints their median latencies
and the ratio (target ≤ 1.2), next to what OFFSET pagination would cost for contrast.
Then the same history is spread over 100 days, one line in ten made a transfer and one in
seven given a "rent" memo, and each history filter's first page is timed against its page
from the middle of the history (the 1,000th unfiltered page's cursor).
It runs on a throwaway SQLite file, or on BENCH_DATABASE_URL (e.g. a PostgreSQL database
that may be emptied).

    .venv/bin/python bench/history_pages.py        (make bench-history)

bench/http_bench.py (make bench) uses `deep_page_cursor` (and tests/support/ledger_data.py's
`build_history`) to serve the same two pages over HTTP, under gunicorn.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from flask_migrate import downgrade, upgrade  # noqa: E402
from sqlalchemy import event, func, select, text  # noqa: E402

from tests.support.ledger_data import build_history  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.infra.extensions import db  # noqa: E402
from webapp.infra.settings import TestingConfig  # noqa: E402
from webapp.models import Account, LedgerEntry  # noqa: E402
from webapp.repositories.keyset import KeysetOrder  # noqa: E402
from webapp.services.users.registration import RegistrationService  # noqa: E402

ENTRIES = 100_000
PAGE_SIZE = 50
DEEP_PAGE = 2_000
ROUNDS = 300
PASSWORD = "benchmark-password"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def deep_page_cursor(account_id: int, page: int = DEEP_PAGE, page_size: int = PAGE_SIZE) -> str:
    """The cursor that asks for page `page` (of `page_size` entries, newest first) of the
    account's history; inside an app context."""
    boundary = db.session.scalar(
        select(LedgerEntry.id)
        .where(LedgerEntry.account_id == account_id)
        .order_by(LedgerEntry.id.desc())
        .offset((page - 1) * page_size - 1)
        .limit(1)
    )
    return KeysetOrder((LedgerEntry.id,)).encode(SimpleNamespace(id=boundary))


def main() -> None:
    database_url = os.environ.get("BENCH_DATABASE_URL")
    workdir = tempfile.mkdtemp(prefix="tally-bench-")
    if not database_url:
        database_url = f"sqlite:///{workdir}/bench.db"
    app = create_app(
        TestingConfig(
            {
                "TALLY_ENV": "testing",
                "DATABASE_URL": database_url,
                "RATELIMIT_ENABLED": "false",
                "LOG_LEVEL": "WARNING",
            }
        )
    )
    with app.app_context():
        if not database_url.startswith("sqlite"):
            downgrade(revision="base")
        upgrade()
        user = RegistrationService().register(
            email="bench@example.com", password=PASSWORD, name="Bench"
        )
        account_id = db.session.scalar(select(Account.id).where(Account.user_id == user.id))
        started = time.perf_counter()
        build_history(account_id, ENTRIES)
        print(
            f"built {ENTRIES:,} entries in {time.perf_counter() - started:.1f} s on "
            f"{db.engine.dialect.name}"
        )
        cursor = deep_page_cursor(account_id)

    client = app.test_client()
    token = client.post(
        "/api/v1/auth/login", json={"email": "bench@example.com", "password": PASSWORD}
    ).get_json()["data"]["accessToken"]
    headers = {"Authorization": f"Bearer {token}"}
    first_url = f"/api/v1/accounts/{account_id}/transactions?limit={PAGE_SIZE}"
    deep_url = f"{first_url}&cursor={cursor}"

    statements: dict[str, int] = {}
    with app.app_context():
        engine = db.engine
    for name, url in (("first", first_url), ("deep", deep_url)):
        seen: list[str] = []

        def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            seen.append(statement)  # noqa: B023  (removed before the next iteration)

        client.get(url, headers=headers)
        event.listen(engine, "before_cursor_execute", record)
        response = client.get(url, headers=headers)
        event.remove(engine, "before_cursor_execute", record)
        assert response.status_code == 200 and len(response.get_json()["data"]) == PAGE_SIZE
        statements[name] = len(seen)

    timings: dict[str, list[float]] = {"first": [], "deep": []}
    for _ in range(ROUNDS):  # interleaved, so noise on this shared machine hits both alike
        for name, url in (("first", first_url), ("deep", deep_url)):
            started = time.perf_counter()
            client.get(url, headers=headers)
            timings[name].append(time.perf_counter() - started)

    offset_timings: dict[str, list[float]] = {"first": [], "deep": []}
    with app.app_context():
        sql = text(
            "SELECT id FROM ledger_entries WHERE account_id = :a ORDER BY id DESC "
            "LIMIT :n OFFSET :o"
        )
        for _ in range(ROUNDS // 3):
            for name, offset in (("first", 0), ("deep", (DEEP_PAGE - 1) * PAGE_SIZE)):
                started = time.perf_counter()
                db.session.execute(sql, {"a": account_id, "n": PAGE_SIZE, "o": offset}).all()
                offset_timings[name].append(time.perf_counter() - started)
        db.session.rollback()

    first, deep = median_ms(timings["first"]), median_ms(timings["deep"])
    offset_first, offset_deep = (
        median_ms(offset_timings["first"]),
        median_ms(offset_timings["deep"]),
    )
    print(f"history of {ENTRIES:,} entries, {PAGE_SIZE} per page, {ROUNDS} requests each:")
    print(f"  page 1      median {first:7.2f} ms  ({statements['first']} SQL statements)")
    print(f"  page {DEEP_PAGE:,}  median {deep:7.2f} ms  ({statements['deep']} SQL statements)")
    print(f"  ratio page {DEEP_PAGE:,} / page 1 = {deep / first:.2f}  (target <= 1.2)")
    print(
        f"  for contrast, OFFSET paging: page 1 {offset_first:.2f} ms, page {DEEP_PAGE:,} "
        f"{offset_deep:.2f} ms, ratio {offset_deep / offset_first:.1f}"
    )
    filtered_pages(app, client, headers, account_id)
    with app.app_context():
        db.engine.dispose()


FILTERS = {
    "type=transfer": "type=transfer",
    "one day, early": "from=2026-01-02&to=2026-01-02",
    "ten days, mid": "from=2026-02-10&to=2026-02-19",
    "q=rent": "q=rent",
    "all four": "type=transfer&q=rent&from=2026-01-01&to=2026-03-31",
}


def filtered_pages(app: Any, client: Any, headers: dict[str, str], account_id: int) -> None:
    """Each history filter: its first page against its page from mid-history."""
    with app.app_context():
        first_id = db.session.scalar(
            select(func.min(LedgerEntry.id)).where(LedgerEntry.account_id == account_id)
        )
        seconds_apart = 100 * 86_400 / ENTRIES  # 100 days, oldest first
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for statement in (
            "UPDATE ledger_transactions SET type = 'transfer' WHERE id % 10 = 0",
            "UPDATE ledger_transactions SET memo = 'rent' WHERE id % 7 = 0",
        ):
            db.session.execute(text(statement))
        entries = db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.account_id == account_id)
        )
        for entry in entries:
            # build_history writes each line's entry after its source's: ids go two by two.
            entry.created_at = start + timedelta(seconds=(entry.id - first_id) // 2 * seconds_apart)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        middle = deep_page_cursor(account_id, page=DEEP_PAGE // 2)
    base = f"/api/v1/accounts/{account_id}/transactions?limit={PAGE_SIZE}"
    print(f"filtered, page 1 and from mid-history, {ROUNDS // 3} requests each:")
    for name, query in FILTERS.items():
        timings: dict[str, list[float]] = {"first": [], "middle": []}
        for _ in range(ROUNDS // 3):
            for where, url in (
                ("first", f"{base}&{query}"),
                ("middle", f"{base}&{query}&cursor={middle}"),
            ):
                started = time.perf_counter()
                response = client.get(url, headers=headers)
                timings[where].append(time.perf_counter() - started)
                assert response.status_code == 200
        first, deep = median_ms(timings["first"]), median_ms(timings["middle"])
        print(
            f"  {name:16} page 1 {first:7.2f} ms, mid-history {deep:7.2f} ms, "
            f"ratio {deep / first:.2f}"
        )


if __name__ == "__main__":
    main()
