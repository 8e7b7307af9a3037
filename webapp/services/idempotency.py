"""Idempotent POSTs: a keyed request is applied once, and its first answer replayed.

Keys are scoped per user and kept 24 hours. The key is reserved in a transaction of its
own (so a concurrent duplicate sees it "in flight" and gets 409), then the request runs
in one transaction that also stores its answer: the effect and the record of it commit
together, or neither does (a database conflict retries both, so `produce` may run again).
A request that fails releases its key, so the client can correct it and try again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from webapp.errors import BadRequest, Conflict, IdempotencyKeyReused
from webapp.models import IdempotencyKey
from webapp.models.base import utcnow
from webapp.services.unit_of_work import UnitOfWork, transaction

KEY_PATTERN = re.compile(r"[\x20-\x7e]{1,255}")
KEEP_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class Outcome:
    status: int
    data: Any
    replayed: bool


def check_key(key: str) -> str:
    if not KEY_PATTERN.fullmatch(key) or not key.strip():
        raise BadRequest("Idempotency-Key must be 1 to 255 printable characters.")
    return key


class IdempotencyService:
    def run(
        self,
        user_id: int,
        key: str,
        fingerprint: str,
        produce: Callable[[], tuple[int, Any]],
    ) -> Outcome:
        """Replay the stored answer for this key, or run `produce` once and store its answer."""
        check_key(key)
        replay = self._reserve(user_id, key, fingerprint)
        if replay is not None:
            return replay

        def apply_and_store(uow: UnitOfWork) -> tuple[int, Any]:
            status, data = produce()
            row = uow.idempotency_keys.find(user_id, key)
            assert row is not None, "the reservation outlives the request"
            uow.idempotency_keys.update(row, response_status=status, response_body=data)
            return status, data

        try:
            status, data = transaction(apply_and_store)
        except BaseException:
            self._release(user_id, key)
            raise
        return Outcome(status=status, data=data, replayed=False)

    def _reserve(self, user_id: int, key: str, fingerprint: str) -> Outcome | None:
        now = utcnow()

        def reserve(uow: UnitOfWork) -> Outcome | None:
            existing = uow.idempotency_keys.find(user_id, key)
            if existing is not None and existing.expires_at <= now:
                uow.idempotency_keys.delete(existing)
                existing = None
            if existing is not None:
                return self._answer(existing, fingerprint)
            uow.idempotency_keys.create(
                user_id=user_id,
                key=key,
                request_fingerprint=fingerprint,
                expires_at=now + KEEP_FOR,
            )
            return None

        try:
            return transaction(reserve)
        except IntegrityError:
            # A concurrent request with the same key reserved it first.
            with UnitOfWork() as uow:
                existing = uow.idempotency_keys.find(user_id, key)
                if existing is None:
                    raise Conflict("A request with this Idempotency-Key is in progress.") from None
                return self._answer(existing, fingerprint)

    @staticmethod
    def _answer(row: IdempotencyKey, fingerprint: str) -> Outcome:
        if row.request_fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if row.response_status is None:
            raise Conflict("A request with this Idempotency-Key is still in progress.")
        return Outcome(status=row.response_status, data=row.response_body, replayed=True)

    def _release(self, user_id: int, key: str) -> None:
        def release(uow: UnitOfWork) -> None:
            row = uow.idempotency_keys.find(user_id, key)
            if row is not None and row.response_status is None:
                uow.idempotency_keys.delete(row)

        transaction(release)
