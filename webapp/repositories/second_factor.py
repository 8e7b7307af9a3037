"""Queries over recovery codes that the second-factor service needs beyond
`RecoveryCodeRepository` (kept apart while that module belongs to another change)."""

from __future__ import annotations

from webapp.models import RecoveryCode
from webapp.repositories.recovery_codes import RecoveryCodeRepository


class SecondFactorRepository(RecoveryCodeRepository):
    def count_unused_for(self, user_id: int) -> int:
        return self.count(where=[RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)])
