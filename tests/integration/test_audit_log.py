"""The audit log tells the whole story: a scripted day through the HTTP surface, then the
log read back through /api/v1/admin/events, event by event, each with who did it, what it
was about, what changed, and the X-Request-ID of the request that caused it."""

from __future__ import annotations

import json
from typing import Any

from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_success

EVENTS = "/api/v1/admin/events"


class Story:
    """Sends each request with its own X-Request-ID, named after the step."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def send(self, step: str, method: str, path: str, headers: Any = None, **kwargs: Any) -> Any:
        sent = {**(headers or {}), "X-Request-ID": step}
        response = getattr(self.client, method)(path, headers=sent, **kwargs)
        assert response.headers["X-Request-ID"] == step
        return response

    def data(self, step: str, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        return assert_success(self.send(step, method, path, **kwargs), status)


def read_log(client: Any, admin: dict[str, str]) -> list[dict[str, Any]]:
    """The whole log, oldest first."""
    events = assert_success(client.get(f"{EVENTS}?limit=100", headers=admin))
    return list(reversed(events))


def test_the_log_tells_the_whole_story(client, app, make_admin, login):
    story = Story(client)
    admin_id = str(make_admin("admin@example.com"))
    admin = bearer(login("admin@example.com"))

    # Members arrive; one mistypes, someone guesses, both log in.
    alice = story.data(
        "register-alice",
        "post",
        "/api/v1/auth/register",
        201,
        json={"email": "alice@example.com", "password": PASSWORD, "name": "Alice"},
    )["id"]
    bob = story.data(
        "register-bob",
        "post",
        "/api/v1/auth/register",
        201,
        json={"email": "bob@example.com", "password": PASSWORD, "name": "Bob"},
    )["id"]
    refused = {"email": "Alice@Example.com", "password": "not-her-password"}
    assert (
        story.send("alice-mistypes", "post", "/api/v1/auth/login", json=refused).status_code == 401
    )
    guess = {"email": "nobody@example.com", "password": PASSWORD}
    assert (
        story.send("stranger-guesses", "post", "/api/v1/auth/login", json=guess).status_code == 401
    )
    page_guess = {"email": "bob@example.com", "password": "wrong-on-the-page"}
    assert (
        story.send("bob-mistypes-on-the-page", "post", "/login", data=page_guess).status_code == 200
    )
    credentials = {"email": "alice@example.com", "password": PASSWORD}
    first_pair = story.data("alice-logs-in", "post", "/api/v1/auth/login", json=credentials)
    as_alice = bearer(first_pair)
    as_bob = bearer(
        story.data(
            "bob-logs-in",
            "post",
            "/api/v1/auth/login",
            json={"email": "bob@example.com", "password": PASSWORD},
        )
    )

    # Money: the admin credits Alice, she pays Bob.
    alice_main = assert_success(client.get("/api/v1/accounts", headers=as_alice))[0]["id"]
    bob_main = assert_success(client.get("/api/v1/accounts", headers=as_bob))[0]["id"]
    deposit = story.data(
        "admin-deposits",
        "post",
        f"/api/v1/accounts/{alice_main}/deposits",
        201,
        headers=admin,
        json={"amount": 100_00, "memo": "welcome"},
    )
    transfer = story.data(
        "alice-pays-bob",
        "post",
        "/api/v1/transfers",
        201,
        headers=as_alice,
        json={"fromAccountId": alice_main, "toAccountId": bob_main, "amount": 10_00},
    )

    # The shop: the admin runs the catalog, Alice buys, the admin cancels her order.
    mug = story.data(
        "admin-creates-mug",
        "post",
        "/api/v1/products",
        201,
        headers=admin,
        json={"sku": "MUG", "name": "Mug", "price": 12_50, "stock": 5},
    )["id"]
    story.data(
        "admin-reprices-mug",
        "patch",
        f"/api/v1/products/{mug}",
        headers=admin,
        json={"price": 15_00},
    )
    order = story.data(
        "alice-orders",
        "post",
        "/api/v1/orders",
        201,
        headers=as_alice,
        json={"accountId": alice_main, "items": [{"productId": mug, "quantity": 2}]},
    )["id"]
    story.data("admin-cancels", "post", f"/api/v1/orders/{order}/cancel", headers=admin)
    archived = story.send("admin-archives-mug", "delete", f"/api/v1/products/{mug}", headers=admin)
    assert archived.status_code == 204

    # Users: Bob is promoted, deactivated (and refused), reactivated; Alice's sessions end.
    user_bob = f"/api/v1/users/{bob}"
    story.data(
        "admin-promotes-bob", "patch", user_bob, headers=admin, json={"roles": ["admin", "user"]}
    )
    story.data("admin-deactivates-bob", "patch", user_bob, headers=admin, json={"isActive": False})
    bob_credentials = {"email": "bob@example.com", "password": PASSWORD}
    disabled = story.send("bob-tries-while-off", "post", "/api/v1/auth/login", json=bob_credentials)
    assert disabled.status_code == 403
    story.data("admin-reactivates-bob", "patch", user_bob, headers=admin, json={"isActive": True})
    revoke = f"/api/v1/users/{alice}/revoke-sessions"
    revoked = story.send("admin-revokes-alice", "post", revoke, headers=admin)
    assert revoked.status_code == 204

    # Tokens: Alice logs in again and refreshes; her old refresh token is replayed.
    second_pair = story.data("alice-again", "post", "/api/v1/auth/login", json=credentials)
    old_token = {"refreshToken": second_pair["refreshToken"]}
    story.data("alice-refreshes", "post", "/api/v1/auth/refresh", json=old_token)
    replay = story.send("thief-replays", "post", "/api/v1/auth/refresh", json=old_token)
    assert replay.status_code == 401
    third_pair = story.data("alice-once-more", "post", "/api/v1/auth/login", json=credentials)
    last_token = {"refreshToken": third_pair["refreshToken"]}
    logout = story.send("alice-logs-out", "post", "/api/v1/auth/logout", json=last_token)
    assert logout.status_code == 204

    log = read_log(client, admin)
    told = [(e["requestId"], e["type"], e["subject"], e["actorId"]) for e in log]
    transaction = f"transaction:{deposit['id']}"
    assert told == [
        (None, "user.created", f"user:{admin_id}", admin_id),
        (None, "user.updated", f"user:{admin_id}", None),  # promoted by the operator's CLI
        (told[2][0], "user.login", f"user:{admin_id}", admin_id),
        ("register-alice", "user.created", f"user:{alice}", alice),
        ("register-bob", "user.created", f"user:{bob}", bob),
        ("alice-mistypes", "user.login_failed", f"user:{alice}", None),
        ("stranger-guesses", "user.login_failed", "email:nobody@example.com", None),
        ("bob-mistypes-on-the-page", "user.login_failed", f"user:{bob}", None),
        ("alice-logs-in", "user.login", f"user:{alice}", alice),
        ("bob-logs-in", "user.login", f"user:{bob}", bob),
        ("admin-deposits", "deposit.completed", transaction, admin_id),
        ("alice-pays-bob", "transfer.completed", f"transaction:{transfer['id']}", alice),
        ("admin-creates-mug", "product.created", f"product:{mug}", admin_id),
        ("admin-reprices-mug", "product.updated", f"product:{mug}", admin_id),
        ("alice-orders", "order.placed", f"order:{order}", alice),
        ("admin-cancels", "order.cancelled", f"order:{order}", admin_id),
        ("admin-archives-mug", "product.archived", f"product:{mug}", admin_id),
        ("admin-promotes-bob", "user.updated", f"user:{bob}", admin_id),
        ("admin-deactivates-bob", "user.updated", f"user:{bob}", admin_id),
        ("bob-tries-while-off", "user.login_failed", f"user:{bob}", None),
        ("admin-reactivates-bob", "user.updated", f"user:{bob}", admin_id),
        ("admin-revokes-alice", "user.sessions_revoked", f"user:{alice}", admin_id),
        ("alice-again", "user.login", f"user:{alice}", alice),
        ("thief-replays", "auth.refresh_reuse", f"user:{alice}", None),
        ("alice-once-more", "user.login", f"user:{alice}", alice),
        ("alice-logs-out", "user.logout", f"user:{alice}", alice),
    ]

    data = {e["requestId"]: e["data"] for e in log if e["requestId"]}
    assert data["alice-mistypes"] == {"reason": "bad_password", "kind": "api", "ip": "127.0.0.1"}
    assert data["stranger-guesses"]["reason"] == "unknown_email"
    assert data["bob-mistypes-on-the-page"]["kind"] == "browser"
    assert data["bob-tries-while-off"]["reason"] == "disabled"
    assert data["admin-deposits"] == {"accountId": alice_main, "amount": 100_00, "currency": "USD"}
    assert data["alice-pays-bob"] == {
        "fromAccountId": alice_main,
        "toAccountId": bob_main,
        "amount": 10_00,
        "currency": "USD",
    }
    assert data["admin-reprices-mug"] == {"price": 15_00}
    assert data["alice-orders"]["total"] == data["admin-cancels"]["total"] == 30_00
    assert data["admin-promotes-bob"] == {"roles": {"from": ["user"], "to": ["admin", "user"]}}
    assert data["admin-deactivates-bob"] == {
        "isActive": {"from": True, "to": False},
        "sessionsEnded": 1,
        "tokensRevoked": 0,
    }
    assert data["admin-reactivates-bob"] == {"isActive": {"from": False, "to": True}}
    assert data["admin-revokes-alice"] == {"sessions": 1}
    assert data["thief-replays"]["sessionId"] == data["alice-again"]["sessionId"]
    assert data["alice-logs-out"]["sessionId"] == data["alice-once-more"]["sessionId"]
    for secret in (PASSWORD, "not-her-password", "wrong-on-the-page", second_pair["refreshToken"]):
        assert secret not in str(log)


def test_a_password_typed_as_the_email_is_not_kept(client, app, make_admin, login):
    admin = (make_admin(), bearer(login("admin@example.com")))[1]
    typed = {"email": "hunter2-my-password", "password": "whatever"}
    assert client.post("/api/v1/auth/login", json=typed).status_code == 401
    refused = assert_success(client.get(f"{EVENTS}?type=user.login_failed", headers=admin))
    assert [(e["subject"], e["data"]["reason"]) for e in refused] == [
        ("email:invalid", "unknown_email")
    ]
    assert "hunter2" not in str(refused)


def test_each_event_is_also_one_json_log_line_with_its_request_id(client, capsys):
    capsys.readouterr()
    body = {"email": "carol@example.com", "password": PASSWORD, "name": "Carol"}
    client.post("/api/v1/auth/register", json=body, headers={"X-Request-ID": "reg-log"})
    guess = {"email": "nobody@example.com", "password": PASSWORD}
    client.post("/api/v1/auth/login", json=guess, headers={"X-Request-ID": "guess-log"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    events = [line for line in lines if line.get("logger") == "tally.event"]
    assert [(e["requestId"], e["eventType"]) for e in events] == [
        ("reg-log", "user.created"),
        ("guess-log", "user.login_failed"),
    ]
    assert events[0]["subject"].startswith("user:")
    assert events[1]["subject"] == "email"  # the typed email stays out of the logs
    assert "nobody@example.com" not in str(lines) and PASSWORD not in str(lines)
