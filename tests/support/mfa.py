"""Second-factor test helpers: a settable TOTP clock, codes, and turning the factor on."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

STEP = 30
START = 1_900_000_020.0  # the first second of a TOTP step


class Clock:
    """The time the TOTP checks read; `tick()` moves to the next 30-second step."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def tick(self, steps: int = 1) -> None:
        self.now += STEP * steps


def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The TOTP checks' clock, set to a fixed time for this test (a `clock` fixture)."""
    clock = Clock()
    monkeypatch.setattr("webapp.services.mfa.totp.clock", clock)
    return clock


def code(secret: str, clock: Clock, steps: int = 0) -> str:
    """The code of the step `steps` away from the clock's."""
    return pyotp.TOTP(secret).at(clock.now + STEP * steps)


def wrong_code(secret: str, clock: Clock) -> str:
    """A well-formed code that is none of the window's three."""
    window = {code(secret, clock, offset) for offset in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in window)


def turn_on_api(client: FlaskClient, headers: dict[str, str], clock: Clock) -> dict[str, Any]:
    """Enroll and confirm through the API; returns {"secret", "recoveryCodes"}. The clock
    moves one step on, so the next code is not the confirming one."""
    started = client.post("/api/v1/users/me/mfa/totp", headers=headers)
    assert started.status_code == 200, started.get_json()
    secret = started.get_json()["data"]["secret"]
    confirmed = client.post(
        "/api/v1/users/me/mfa/totp/confirm", headers=headers, json={"code": code(secret, clock)}
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    clock.tick()
    return {"secret": secret, "recoveryCodes": confirmed.get_json()["data"]["recoveryCodes"]}


def sent_mails(app: Flask) -> list[Any]:
    # locmem makes the outbox with its first mail.
    return list(getattr(app.extensions["mailman"], "outbox", []))
