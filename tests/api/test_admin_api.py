"""/api/v1/admin: the system's figures and the audit log, for admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from webapp.infra.extensions import db
from webapp.infra.metrics import observed_totals
from webapp.models import Account, Event, LedgerTransaction, Order, User
from webapp.models.account import KIND_MEMBER
from webapp.models.ledger import TX_TRANSFER
from webapp.models.order import STATUS_PAID

STATS = "/api/v1/admin/stats"
EVENTS = "/api/v1/admin/events"
STATS_FIELDS = {
    "users",
    "activeUsers",
    "accounts",
    "moneyHeld",
    "orders",
    "revenue",
    "transfers24h",
    "cacheHits",
    "cacheMisses",
    "rateLimited",
}
EVENT_FIELDS = {"id", "type", "actorId", "subject", "data", "requestId", "createdAt"}


@pytest.fixture
def alice_login(register, login):
    """Alice registered and logged in: (her user id, her bearer headers)."""
    user = register("alice@example.com", "Alice")
    return user["id"], bearer(login("alice@example.com"))


@pytest.fixture
def bob_login(register, login):
    """Bob registered and logged in: (his user id, his bearer headers)."""
    user = register("bob@example.com", "Bob")
    return user["id"], bearer(login("bob@example.com"))


def main_account(client, headers) -> str:
    return assert_success(client.get("/api/v1/accounts", headers=headers))[0]["id"]


def deposit(client, admin, account_id: str, amount: int) -> None:
    response = client.post(
        f"/api/v1/accounts/{account_id}/deposits", json={"amount": amount}, headers=admin
    )
    assert_success(response, 201)


def all_event_ids(app) -> list[str]:
    with app.app_context():
        return [str(i) for i in db.session.scalars(select(Event.id).order_by(Event.id.desc()))]


def walk(client, admin, query: str = "", limit: int = 3) -> list[dict]:
    """Every event the list serves, following nextCursor to the end."""
    seen: list[dict] = []
    url = f"{EVENTS}?limit={limit}{query}"
    while True:
        response = client.get(url, headers=admin)
        seen += assert_success(response)
        pagination = response.get_json()["meta"]["pagination"]
        assert pagination["limit"] == limit
        if not pagination["hasMore"]:
            assert pagination["nextCursor"] is None
            return seen
        url = f"{EVENTS}?limit={limit}{query}&cursor={pagination['nextCursor']}"


# --- who may ask --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [STATS, EVENTS])
def test_admin_lists_need_a_token_and_the_admin_role(client, alice_login, path):
    response = client.get(path)
    assert_error(response, 401, "UNAUTHORIZED")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.get(path, headers=alice_login[1]), 403, "FORBIDDEN")


# --- stats --------------------------------------------------------------------------------


def test_stats_are_exactly_the_contracts_integers(client, admin, alice_login, bob_login):
    account = main_account(client, alice_login[1])
    deposit(client, admin, account, 40_00)
    transfer = {
        "fromAccountId": account,
        "toAccountId": main_account(client, bob_login[1]),
        "amount": 5,
    }
    assert_success(client.post("/api/v1/transfers", json=transfer, headers=alice_login[1]), 201)
    patch = client.patch(f"/api/v1/users/{bob_login[0]}", json={"isActive": False}, headers=admin)
    assert_success(patch)

    stats = assert_success(client.get(STATS, headers=admin))

    assert set(stats) == STATS_FIELDS
    assert all(type(value) is int for value in stats.values())
    assert {k: stats[k] for k in ("users", "activeUsers", "accounts", "moneyHeld")} == {
        "users": 3,
        "activeUsers": 2,
        "accounts": 3,
        "moneyHeld": 40_00,
    }
    assert (stats["orders"], stats["revenue"], stats["transfers24h"]) == (0, 0, 1)
    assert stats["cacheHits"] + stats["cacheMisses"] > 0  # the token checks read the cache


def figures_from_the_tables(app) -> dict[str, int]:
    """The stats' database figures, counted straight from the tables."""
    since = datetime.now(UTC) - timedelta(hours=24)
    with app.app_context():
        session = db.session
        members = select(Account).where(Account.kind == KIND_MEMBER).subquery()
        return {
            "users": session.scalar(select(func.count(User.id))),
            "activeUsers": session.scalar(select(func.count(User.id)).where(User.is_active)),
            "accounts": session.scalar(select(func.count()).select_from(members)),
            "moneyHeld": session.scalar(select(func.coalesce(func.sum(members.c.balance), 0))),
            "orders": session.scalar(select(func.count(Order.id))),
            "revenue": session.scalar(
                select(func.coalesce(func.sum(Order.total), 0)).where(Order.status == STATUS_PAID)
            ),
            "transfers24h": session.scalar(
                select(func.count(LedgerTransaction.id)).where(
                    LedgerTransaction.type == TX_TRANSFER, LedgerTransaction.created_at >= since
                )
            ),
        }


def test_stats_match_the_database_after_a_scripted_set_of_actions(
    client, app, admin, alice_login, bob_login, login
):
    alice_main, bob_main = main_account(client, alice_login[1]), main_account(client, bob_login[1])
    deposit(client, admin, alice_main, 120_00)
    deposit(client, admin, bob_main, 30_00)
    savings = client.post("/api/v1/accounts", json={"name": "Savings"}, headers=bob_login[1])
    assert_success(savings, 201)
    mug = assert_success(
        client.post(
            "/api/v1/products",
            json={"sku": "MUG-1", "name": "Mug", "price": 12_50, "stock": 10},
            headers=admin,
        ),
        201,
    )
    orders = []
    for who, account, quantity in (
        (alice_login, alice_main, 2),
        (bob_login, bob_main, 1),
        (alice_login, alice_main, 1),
    ):
        body = {"accountId": account, "items": [{"productId": mug["id"], "quantity": quantity}]}
        orders.append(assert_success(client.post("/api/v1/orders", json=body, headers=who[1]), 201))
    cancel = client.post(f"/api/v1/orders/{orders[1]['id']}/cancel", headers=bob_login[1])
    assert_success(cancel)
    for amount in (5_00, 7_25):
        move = {"fromAccountId": alice_main, "toAccountId": bob_main, "amount": amount}
        assert_success(client.post("/api/v1/transfers", json=move, headers=alice_login[1]), 201)
    # One transfer made two days ago is money held but not a transfer of the last 24 h.
    old = {"fromAccountId": bob_main, "toAccountId": alice_main, "amount": 1_00}
    old_id = assert_success(client.post("/api/v1/transfers", json=old, headers=bob_login[1]), 201)[
        "id"
    ]
    with app.app_context():
        db.session.execute(
            update(LedgerTransaction)
            .where(LedgerTransaction.id == int(old_id))
            .values(created_at=datetime.now(UTC) - timedelta(days=2))
        )
        db.session.commit()
    assert_success(
        client.patch(f"/api/v1/users/{bob_login[0]}", json={"isActive": False}, headers=admin)
    )
    refused = client.post(
        "/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    assert_error(refused, 403, "ACCOUNT_DISABLED")

    stats = assert_success(client.get(STATS, headers=admin))

    expected = figures_from_the_tables(app)
    assert {key: stats[key] for key in expected} == expected
    # And the figures the script implies, so a query that drifts with its stats cannot hide.
    assert expected == {
        "users": 3,
        "activeUsers": 2,
        "accounts": 4,
        "moneyHeld": 150_00 - 3 * 12_50,
        "orders": 3,
        "revenue": 3 * 12_50,
        "transfers24h": 2,
    }
    observed = observed_totals()
    assert (stats["cacheHits"], stats["cacheMisses"], stats["rateLimited"]) == (
        observed.cache_hits,
        observed.cache_misses,
        observed.rate_limited,
    )


def test_stats_run_a_fixed_number_of_statements(client, admin, alice_login, count_statements):
    assert_success(client.get(STATS, headers=admin))  # the admin's record is now cached
    with count_statements() as counter:
        assert_success(client.get(STATS, headers=admin))
    assert counter.count <= 5  # users, accounts, orders, transfers (and SQLite's BEGIN)


# --- events -------------------------------------------------------------------------------


def test_events_are_newest_first_with_the_contracts_fields(client, app, admin, alice_login):
    account = main_account(client, alice_login[1])
    response = client.post(
        f"/api/v1/accounts/{account}/deposits",
        json={"amount": 7_00},
        headers={**admin, "X-Request-ID": "deposit-42"},
    )
    assert_success(response, 201)

    events = assert_success(client.get(EVENTS, headers=admin))

    assert [e["id"] for e in events] == all_event_ids(app)
    assert all(set(e) == EVENT_FIELDS for e in events)
    newest = events[0]
    assert newest["type"] == "deposit.completed"
    assert newest["requestId"] == "deposit-42"
    assert newest["subject"].startswith("transaction:")
    assert newest["data"] == {"accountId": account, "amount": 7_00, "currency": "USD"}
    assert isinstance(newest["id"], str) and isinstance(newest["actorId"], str)
    assert newest["createdAt"].endswith("Z")


def test_events_filter_by_type(client, admin, alice_login, bob_login, login):
    login("bob@example.com")
    logins = assert_success(client.get(f"{EVENTS}?type=user.login", headers=admin))
    assert [e["type"] for e in logins] == ["user.login"] * 4  # admin, alice, bob twice
    assert assert_success(client.get(f"{EVENTS}?type=no.such", headers=admin)) == []


def test_events_filter_by_user_about_them_or_by_them(client, admin, alice_login, bob_login):
    alice_id, alice_headers = alice_login
    account = main_account(client, alice_headers)
    deposit(client, admin, account, 10_00)  # by the admin, about a transaction: not Alice's
    to_bob = {
        "fromAccountId": account,
        "toAccountId": main_account(client, bob_login[1]),
        "amount": 1,
    }
    assert_success(client.post("/api/v1/transfers", json=to_bob, headers=alice_headers), 201)
    client.post(f"/api/v1/users/{alice_id}/revoke-sessions", headers=admin)

    events = assert_success(client.get(f"{EVENTS}?userId={alice_id}", headers=admin))

    assert [e["type"] for e in events] == [
        "user.sessions_revoked",  # about her, by the admin
        "transfer.completed",  # by her
        "user.login",
        "user.created",
    ]
    assert all(e["subject"] == f"user:{alice_id}" or e["actorId"] == alice_id for e in events)
    both = f"{EVENTS}?userId={alice_id}&type=transfer.completed"
    assert [e["type"] for e in assert_success(client.get(both, headers=admin))] == [
        "transfer.completed"
    ]


@pytest.mark.parametrize("limit", [1, 2, 5, 100])
def test_a_cursor_walk_visits_every_event_once(
    client, app, admin, alice_login, bob_login, login, limit
):
    for _ in range(4):
        login("alice@example.com")
    served = walk(client, admin, limit=limit)
    assert [e["id"] for e in served] == all_event_ids(app)


def test_a_cursor_walk_keeps_its_filter(client, admin, alice_login, bob_login, login):
    for _ in range(5):
        login("bob@example.com")
    served = walk(client, admin, query="&type=user.login", limit=2)
    assert len(served) == 8 and {e["type"] for e in served} == {"user.login"}
    assert len({e["id"] for e in served}) == 8


@pytest.mark.parametrize(
    "cursor", ["not-a-cursor", "WyJ4Il0", "W10", "A" * 600, "eyJpZCI6MX0", "WzEuNV0"]
)
def test_a_malformed_cursor_is_a_bad_request(client, admin, cursor):
    assert_error(client.get(f"{EVENTS}?cursor={cursor}", headers=admin), 400, "BAD_REQUEST")


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "userId=abc", "userId=0"])
def test_a_malformed_query_is_a_validation_error(client, admin, query):
    response = client.get(f"{EVENTS}?{query}", headers=admin)
    assert_error(response, 422, "VALIDATION_ERROR")


def test_the_events_list_runs_a_fixed_number_of_statements(
    client, app, admin, alice_login, count_statements
):
    account = main_account(client, alice_login[1])
    for _ in range(30):
        deposit(client, admin, account, 1)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) > 30
    assert_success(client.get(EVENTS, headers=admin))  # the admin's record is now cached
    counts = []
    for limit in (1, 10, 100):
        with count_statements() as counter:
            assert len(assert_success(client.get(f"{EVENTS}?limit={limit}", headers=admin)))
        counts.append(counter.count)
    assert counts[0] == counts[1] == counts[2] <= 2  # the page (and SQLite's BEGIN)


def test_a_refused_login_is_in_the_log_without_a_token_or_password(client, admin, alice_login):
    client.post("/api/v1/auth/login", json={"email": "alice@example.com", "password": "nope-nope"})
    refused = assert_success(client.get(f"{EVENTS}?type=user.login_failed", headers=admin))
    assert [(e["subject"], e["actorId"], e["data"]["reason"]) for e in refused] == [
        (f"user:{alice_login[0]}", None, "bad_password")
    ]
    assert "nope-nope" not in str(refused) and PASSWORD not in str(refused)
