"""Personal access token test helpers: making one through the API, using it, the clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from webapp.infra.extensions import db
from webapp.models import PersonalAccessToken
from webapp.models.base import utcnow

TOKENS = "/api/v1/tokens"


def make_token(
    client: FlaskClient,
    headers: dict[str, str],
    *,
    scopes: tuple[str, ...] = ("read",),
    name: str = "script",
    days: int | None = None,
) -> dict[str, Any]:
    """POST /tokens from a login session; returns the created token's `data`."""
    body: dict[str, Any] = {"name": name, "scopes": list(scopes)}
    if days is not None:
        body["expiresInDays"] = days
    response = client.post(TOKENS, headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def pat(token: dict[str, Any] | str) -> dict[str, str]:
    """The Authorization header of a personal access token (or its creation's data)."""
    value = token if isinstance(token, str) else token["token"]
    return {"Authorization": f"Bearer {value}"}


def token_rows(app: Flask) -> list[PersonalAccessToken]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(PersonalAccessToken).order_by(PersonalAccessToken.id))
        )
        db.session.expunge_all()
        return rows


class TokenClock:
    """The time the token service reads, `offset` away from the real one."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def move(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def token_clock(monkeypatch: pytest.MonkeyPatch) -> TokenClock:
    clock = TokenClock()
    monkeypatch.setattr("webapp.services.access_tokens.utcnow", clock)
    return clock
