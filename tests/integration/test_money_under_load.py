"""Money under concurrency and at scale: conserved, never negative, never a 500, and history
pages that cost the same at the start and 100,000 entries in."""

from __future__ import annotations

import random
import threading
from types import SimpleNamespace

from sqlalchemy import func, select

from tests.support.clients import PASSWORD, bearer
from tests.support.concurrency import run_in_threads
from tests.support.ledger_data import build_history
from webapp.infra.extensions import db
from webapp.models import Account, LedgerEntry
from webapp.repositories.keyset import KeysetOrder
from webapp.services.users.registration import RegistrationService


def members_with_money(app, client, login, make_admin, count: int, each: int):
    """`count` members, each with a funded Main account: [(headers, account id)]."""
    with app.app_context():
        for n in range(count):
            RegistrationService().register(
                email=f"m{n}@example.com", password=PASSWORD, name=f"M{n}"
            )
    make_admin("admin@example.com")
    admin = bearer(login("admin@example.com"))
    people = []
    for n in range(count):
        headers = bearer(login(f"m{n}@example.com"))
        account_id = client.get("/api/v1/accounts", headers=headers).get_json()["data"][0]["id"]
        response = client.post(
            f"/api/v1/accounts/{account_id}/deposits", json={"amount": each}, headers=admin
        )
        assert response.status_code == 201
        people.append((headers, account_id))
    return people


def member_balances(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Account.balance).where(Account.kind == "member")))


def test_concurrent_random_transfers_conserve_money(app, client, login, make_admin, runner):
    people = members_with_money(app, client, login, make_admin, count=6, each=50_00)
    total = sum(member_balances(app))
    statuses: list[int] = []
    lock = threading.Lock()

    def transfers(seed: int) -> None:
        rng = random.Random(seed)
        thread_client = app.test_client()
        for _ in range(50):
            (headers, source), (_, target) = rng.sample(people, 2)
            response = thread_client.post(
                "/api/v1/transfers",
                json={
                    "fromAccountId": source,
                    "toAccountId": target,
                    "amount": rng.randint(1, 30_00),
                },
                headers=headers,
            )
            with lock:
                statuses.append(response.status_code)

    run_in_threads(8, transfers)

    assert len(statuses) == 400
    assert set(statuses) <= {201, 422}, sorted(set(statuses))
    assert statuses.count(201) > 0
    balances = member_balances(app)
    assert min(balances) >= 0
    assert sum(balances) == total
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 0, result.output


def test_twenty_parallel_requests_with_one_key_apply_once(app, client, login, make_admin):
    (alice, a), (_, b) = members_with_money(app, client, login, make_admin, count=2, each=10_00)
    statuses: list[tuple[int, str | None]] = []

    def send(_index: int) -> None:
        response = app.test_client().post(
            "/api/v1/transfers",
            json={"fromAccountId": a, "toAccountId": b, "amount": 1_00},
            headers={**alice, "Idempotency-Key": "once"},
        )
        statuses.append((response.status_code, response.headers.get("Idempotent-Replayed")))

    run_in_threads(20, send)

    applied = [s for s in statuses if s == (201, None)]
    assert len(applied) == 1
    assert all(s in {(201, "true"), (409, None)} for s in statuses if s != (201, None)), statuses
    with app.app_context():
        assert db.session.get(Account, int(a)).balance == 9_00
        assert db.session.get(Account, int(b)).balance == 11_00


def test_page_2000_of_a_100000_entry_history_costs_what_page_1_costs(
    app, client, login, register, count_statements
):
    register("rich@example.com", "Rich")
    headers = bearer(login("rich@example.com"))
    account_id = int(client.get("/api/v1/accounts", headers=headers).get_json()["data"][0]["id"])
    with app.app_context():
        build_history(account_id, 100_000)
        # The cursor the 1,999th page hands out: the 99,950th newest entry.
        ids = select(LedgerEntry.id).where(LedgerEntry.account_id == account_id)
        boundary = db.session.scalar(
            ids.order_by(LedgerEntry.id.desc()).offset(1999 * 50 - 1).limit(1)
        )
        assert db.session.scalar(select(func.count()).select_from(ids.subquery())) == 100_000
    cursor = KeysetOrder((LedgerEntry.id,)).encode(SimpleNamespace(id=boundary))
    url = f"/api/v1/accounts/{account_id}/transactions?limit=50"

    client.get(url, headers=headers)  # warm the user record
    with count_statements() as first:
        first_page = client.get(url, headers=headers).get_json()
    with count_statements() as deep:
        deep_page = client.get(f"{url}&cursor={cursor}", headers=headers).get_json()

    assert len(first_page["data"]) == len(deep_page["data"]) == 50
    assert deep_page["meta"]["pagination"]["hasMore"] is False  # the 2,000th page is the last
    assert first.count == deep.count
    assert first.count <= 3
