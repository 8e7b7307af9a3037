"""Queries over login sessions and their refresh tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select, update

from webapp.models import AuthSession, RefreshToken
from webapp.models.user import SESSION_API
from webapp.repositories.base import Repository


class AuthSessionRepository(Repository[AuthSession]):
    model = AuthSession

    def active_ids_for(self, user_id: int) -> frozenset[int]:
        statement = select(AuthSession.id).where(
            AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
        )
        return frozenset(self.session.scalars(statement))

    def list_active_for(self, user_id: int) -> list[AuthSession]:
        return self.find_many(
            where=[AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)],
            order_by=[AuthSession.id.desc()],
        )

    def export_chunk(self, user_id: int, *, after_id: int, limit: int) -> list[AuthSession]:
        """A keyset step over all the user's sessions, ended ones too, oldest first."""
        return self.find_after(after_id, limit=limit, where=[AuthSession.user_id == user_id])

    def auth_time_of(self, user_id: int, session_id: int) -> datetime | None:
        """When the user last proved who they are in this active session; None if it ended."""
        statement = select(AuthSession.auth_time).where(
            AuthSession.id == session_id,
            AuthSession.user_id == user_id,
            AuthSession.revoked_at.is_(None),
        )
        return self.session.scalar(statement)

    def renew_auth_time(self, user_id: int, session_id: int, at: datetime) -> bool:
        """Record a proof of identity now in this active session; False if it ended."""
        result = self.session.execute(
            update(AuthSession)
            .where(
                AuthSession.id == session_id,
                AuthSession.user_id == user_id,
                AuthSession.revoked_at.is_(None),
            )
            .values(auth_time=at)
        )
        return bool(result.rowcount)

    def revoke(self, session_id: int, at: datetime) -> None:
        self.session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        self._revoke_tokens([session_id], at)

    def revoke_all_for(self, user_id: int, at: datetime, *, keep: int | None = None) -> list[int]:
        """End every active session of the user but `keep`; returns the ids ended."""
        conditions = [AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)]
        if keep is not None:
            conditions.append(AuthSession.id != keep)
        ended = list(self.session.scalars(select(AuthSession.id).where(*conditions)))
        if ended:
            self.session.execute(
                update(AuthSession).where(AuthSession.id.in_(ended)).values(revoked_at=at)
            )
            self._revoke_tokens(ended, at)
        return ended

    def delete_ended(self, before: datetime, *, limit: int) -> int:
        """One batch of sessions that ended before `before`: logged out or revoked then, or
        API sessions whose every refresh token had expired by then (nothing can renew them).
        Their refresh tokens go with them (ON DELETE CASCADE)."""
        renewable = exists().where(
            RefreshToken.family_id == AuthSession.id, RefreshToken.expires_at >= before
        )
        lapsed = (AuthSession.kind == SESSION_API) & (AuthSession.created_at < before) & ~renewable
        return self.delete_batch(where=[or_(AuthSession.revoked_at < before, lapsed)], limit=limit)

    def _revoke_tokens(self, family_ids: list[int], at: datetime) -> None:
        self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id.in_(family_ids), RefreshToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )


class RefreshTokenRepository(Repository[RefreshToken]):
    model = RefreshToken

    def find_by_hash_for_update(self, token_hash: str) -> RefreshToken | None:
        """The token row, locked until the transaction ends (rotation is read-modify-write)."""
        statement = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        return self.session.scalar(statement.with_for_update())

    def delete_expired(self, before: datetime, *, limit: int) -> int:
        """One batch of refresh tokens that expired before `before` (rotated ones included:
        past expiry a token is refused before its row is ever looked up)."""
        return self.delete_batch(where=[RefreshToken.expires_at < before], limit=limit)
