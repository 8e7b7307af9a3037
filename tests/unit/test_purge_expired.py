"""`flask purge-expired`: what is past its retention goes, in batches, and nothing else; two
sweeps at once delete each row exactly once between them."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from webapp.infra.extensions import db
from webapp.models import (
    AuthSession,
    IdempotencyKey,
    LinkToken,
    OutboxMail,
    RefreshToken,
    User,
)
from webapp.models.base import utcnow
from webapp.models.user import SESSION_API, SESSION_BROWSER
from webapp.services.housekeeping import HousekeepingService

RETENTION = timedelta(days=30)
KINDS = ("idempotency_keys", "refresh_tokens", "auth_sessions", "link_tokens", "outbox_mails")
MODELS = {
    "idempotency_keys": IdempotencyKey,
    "refresh_tokens": RefreshToken,
    "auth_sessions": AuthSession,
    "link_tokens": LinkToken,
    "outbox_mails": OutboxMail,
}


def seed(app, copies: int = 1) -> dict[str, set[int]]:
    """Rows of every kind, each either past its retention or not: the ids that must go."""
    now = utcnow()
    old, recent = now - RETENTION - timedelta(hours=1), now - RETENTION + timedelta(hours=1)
    doomed: dict[str, set[int]] = {kind: set() for kind in KINDS}
    with app.app_context():
        user = User(email="sweep@example.com", name="Sweep", password_hash="x")
        db.session.add(user)
        db.session.flush()
        unique = itertools.count()

        def add(kind: str, row: Any, *, goes: bool) -> Any:
            db.session.add(row)
            db.session.flush()
            if goes:
                doomed[kind].add(row.id)
            return row

        def key(expires, *, goes: bool) -> None:
            add(
                "idempotency_keys",
                IdempotencyKey(
                    user_id=user.id,
                    key=f"key-{next(unique)}",
                    request_fingerprint="f" * 64,
                    expires_at=expires,
                ),
                goes=goes,
            )

        for _ in range(copies):
            key(now - timedelta(seconds=1), goes=True)  # expired: its 24 h are over
            key(now + timedelta(hours=1), goes=False)

            # A live API session with a token past retention (rotated long ago) and a live one.
            live = add("auth_sessions", AuthSession(user_id=user.id, kind=SESSION_API), goes=False)
            live.created_at = old
            for expires, goes in ((old, True), (now + timedelta(days=7), False)):
                add(
                    "refresh_tokens",
                    RefreshToken(
                        family_id=live.id, token_hash=f"r{next(unique)}", expires_at=expires
                    ),
                    goes=goes,
                )
            # Logged out long ago (goes) and recently (stays); a browser session never ended.
            add(
                "auth_sessions",
                AuthSession(user_id=user.id, kind=SESSION_BROWSER, revoked_at=old),
                goes=True,
            )
            add(
                "auth_sessions",
                AuthSession(user_id=user.id, kind=SESSION_BROWSER, revoked_at=recent),
                goes=False,
            )
            idle = add(
                "auth_sessions", AuthSession(user_id=user.id, kind=SESSION_BROWSER), goes=False
            )
            idle.created_at = old
            # An API session whose every token expired before the retention: nothing renews it.
            lapsed = add("auth_sessions", AuthSession(user_id=user.id, kind=SESSION_API), goes=True)
            lapsed.created_at = old - timedelta(days=7)

            for expires, goes in ((old, True), (recent, False)):
                add(
                    "link_tokens",
                    LinkToken(
                        user_id=user.id,
                        purpose="reset_password",
                        token_hash=f"l{next(unique)}",
                        expires_at=expires,
                    ),
                    goes=goes,
                )
            for sent, goes in ((old, True), (recent, False), (None, False)):
                add(
                    "outbox_mails",
                    OutboxMail(
                        kind="password_changed",
                        recipient="sweep@example.com",
                        subject="s",
                        text_body="",
                        sent_at=sent,
                    ),
                    goes=goes,
                )
        db.session.commit()
    return doomed


def remaining(app) -> dict[str, set[int]]:
    with app.app_context():
        return {kind: set(db.session.scalars(select(MODELS[kind].id))) for kind in KINDS}


def test_purge_deletes_what_is_past_its_retention_and_nothing_else(app, runner):
    before = remaining(app)
    doomed = seed(app)
    seeded = remaining(app)
    result = runner.invoke(args=["purge-expired", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ") for line in result.output.splitlines())
    assert lines == {kind: f"{len(doomed[kind])} deleted" for kind in KINDS}
    assert remaining(app) == {kind: (seeded[kind] - doomed[kind]) | before[kind] for kind in KINDS}
    # Run again: nothing left to do.
    again = runner.invoke(args=["purge-expired"])
    assert again.output.splitlines() == [f"{kind}: 0 deleted" for kind in KINDS]


def test_a_session_takes_its_unexpired_tokens_with_it(app):
    now = utcnow()
    with app.app_context():
        user = User(email="gone@example.com", name="Gone", password_hash="x")
        db.session.add(user)
        db.session.flush()
        ended = AuthSession(user_id=user.id, kind=SESSION_API, revoked_at=now - RETENTION * 2)
        db.session.add(ended)
        db.session.flush()
        db.session.add(
            RefreshToken(family_id=ended.id, token_hash="t", expires_at=now + timedelta(days=1))
        )
        db.session.commit()
        report = HousekeepingService().purge_expired()
        assert report.deleted["auth_sessions"] == 1
        assert db.session.scalar(select(func.count()).select_from(RefreshToken)) == 0


def test_two_sweeps_at_once_delete_each_row_exactly_once(app):
    doomed = seed(app, copies=8)
    seeded = remaining(app)
    reports = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sweep() -> None:
        try:
            with app.app_context():
                start.wait()
                reports.append(HousekeepingService().purge_expired(batch_size=3))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(reports) == 2
    for kind in KINDS:
        assert reports[0].deleted[kind] + reports[1].deleted[kind] == len(doomed[kind]), kind
    assert remaining(app) == {kind: seeded[kind] - doomed[kind] for kind in KINDS}


@pytest.mark.parametrize("size", ["0", "x", "10001"])
def test_a_bad_batch_size_is_refused(runner, size):
    result = runner.invoke(args=["purge-expired", "--batch-size", size])
    assert result.exit_code == 2
