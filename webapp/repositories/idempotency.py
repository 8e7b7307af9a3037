"""Queries over idempotency keys."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select

from webapp.models import IdempotencyKey
from webapp.repositories.base import Repository


def lock_id(user_id: int, key: str) -> int:
    """A user's key as a 64-bit advisory-lock number (a hash: a rare collision only makes an
    unrelated request wait its turn with a 409)."""
    digest = hashlib.sha256(f"{user_id}\n{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class IdempotencyKeyRepository(Repository[IdempotencyKey]):
    model = IdempotencyKey

    def find(self, user_id: int, key: str) -> IdempotencyKey | None:
        return self.session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )

    def try_lock(self, user_id: int, key: str) -> bool:
        """Hold this key for the rest of the transaction; False while another transaction does.

        PostgreSQL: a transaction-level advisory lock, taken without waiting. SQLite needs none:
        a writing transaction there holds the whole file from its first statement.
        """
        if self.session.get_bind().dialect.name != "postgresql":
            return True
        locked = select(func.pg_try_advisory_xact_lock(lock_id(user_id, key)))
        return bool(self.session.scalar(locked))

    def delete_expired(self, now: datetime, *, limit: int) -> int:
        """One batch of keys past their expiry (their answers are no longer replayed)."""
        return self.delete_batch(where=[IdempotencyKey.expires_at < now], limit=limit)
