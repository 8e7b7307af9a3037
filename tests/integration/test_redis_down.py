"""If Redis is down, the app keeps serving: the cache is bypassed, the limiter counts in
memory, and both say so in the log."""

from __future__ import annotations

import json

from tests.support.clients import PASSWORD


def test_requests_are_served_and_limited_when_redis_is_unreachable(make_app, capsys):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    client = app.test_client()
    capsys.readouterr()

    assert client.get("/api/v1/products").status_code == 200
    body = {"email": "a@example.com", "password": PASSWORD, "name": "A"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    login = {"email": "a@example.com", "password": PASSWORD}
    token = client.post("/api/v1/auth/login", json=login).get_json()["data"]["accessToken"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    for _ in range(9):
        client.post("/api/v1/auth/login", json=login)
    limited = client.post("/api/v1/auth/login", json=login)
    assert limited.status_code == 429  # still counted, in memory

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    warnings = {line["message"] for line in lines if line["level"] == "WARNING"}
    assert "cache backend failed; serving from the database" in warnings
    assert any("falling back to in-memory storage" in message for message in warnings)
