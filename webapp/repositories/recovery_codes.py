"""Queries over second-factor recovery codes."""

from __future__ import annotations

from sqlalchemy import delete, select

from webapp.models import RecoveryCode
from webapp.repositories.base import Repository


class RecoveryCodeRepository(Repository[RecoveryCode]):
    model = RecoveryCode

    def find_unused_for_update(self, user_id: int, code_hash: str) -> RecoveryCode | None:
        statement = select(RecoveryCode).where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        return self.session.scalar(statement.with_for_update())

    def delete_for(self, user_id: int) -> None:
        self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))

    def count_unused_for(self, user_id: int) -> int:
        return self.count(where=[RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)])
