"""Queries over idempotency keys."""

from __future__ import annotations

from sqlalchemy import select

from webapp.models import IdempotencyKey
from webapp.repositories.base import Repository


class IdempotencyKeyRepository(Repository[IdempotencyKey]):
    model = IdempotencyKey

    def find(self, user_id: int, key: str) -> IdempotencyKey | None:
        return self.session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
