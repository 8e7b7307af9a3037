"""Idempotent POSTs: a keyed request is applied once, and its first answer replayed.

Keys are scoped per user and kept 24 hours. A keyed request runs in one transaction that
takes the key's lock, looks for an earlier answer, and otherwise applies the request and
stores its answer: the effect and the record of it commit together, or neither does (a
database conflict retries the whole, so `produce` may run again). A duplicate that arrives
while the first still runs finds the key locked and gets 409; one that arrives after it
gets the stored answer. A request that fails stores nothing, so the client can correct it
and try again with the same key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from webapp.core.errors import BadRequest, Conflict, IdempotencyKeyReused
from webapp.models import IdempotencyKey
from webapp.models.base import utcnow
from webapp.services.unit_of_work import UnitOfWork, transaction

MAX_KEY_LENGTH = 255
KEY_CHARACTERS = r"\x20-\x7e"  # printable ASCII, the space included
KEY_PATTERN = re.compile(f"[{KEY_CHARACTERS}]{{1,{MAX_KEY_LENGTH}}}")
# The same rule as one JSON Schema pattern (for the OpenAPI document): not spaces alone.
KEY_SCHEMA_PATTERN = rf"^[{KEY_CHARACTERS}]*[\x21-\x7e][{KEY_CHARACTERS}]*$"
KEEP_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class Outcome:
    status: int
    data: Any
    replayed: bool


def check_key(key: str) -> str:
    if not KEY_PATTERN.fullmatch(key) or not key.strip():
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.")
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

        def apply_once(uow: UnitOfWork) -> Outcome:
            if not uow.idempotency_keys.try_lock(user_id, key):
                raise Conflict("A request with this Idempotency-Key is in progress.")
            now = utcnow()
            existing = uow.idempotency_keys.find(user_id, key)
            if existing is not None and existing.expires_at <= now:
                uow.idempotency_keys.delete(existing)
                uow.flush()
                existing = None
            if existing is not None:
                return self._answer(existing, fingerprint)
            status, data = produce()
            uow.idempotency_keys.add(
                user_id=user_id,
                key=key,
                request_fingerprint=fingerprint,
                expires_at=now + KEEP_FOR,
                response_status=status,
                response_body=data,
            )
            return Outcome(status=status, data=data, replayed=False)

        try:
            return transaction(apply_once)
        except IntegrityError:
            # Another request stored this key between our look and our insert.
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
