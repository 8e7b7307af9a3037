"""Queries over personal access tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from webapp.models import PersonalAccessToken
from webapp.repositories.base import Repository
from webapp.repositories.keyset import Page


class PersonalAccessTokenRepository(Repository[PersonalAccessToken]):
    model = PersonalAccessToken

    def find_by_hash(self, token_hash: str) -> PersonalAccessToken | None:
        statement = select(PersonalAccessToken).where(PersonalAccessToken.token_hash == token_hash)
        return self.session.scalar(statement)

    def list_live_for(self, user_id: int, now: datetime) -> list[PersonalAccessToken]:
        """The user's tokens that still work, newest first."""
        return self.find_many(
            where=[
                PersonalAccessToken.user_id == user_id,
                PersonalAccessToken.revoked_at.is_(None),
                PersonalAccessToken.expires_at > now,
            ],
            order_by=[PersonalAccessToken.id.desc()],
        )

    def page_live_for(
        self, user_id: int, now: datetime, *, limit: int, cursor: str | None
    ) -> Page[PersonalAccessToken]:
        """One page of the user's tokens that still work, newest first."""
        return self.find_page(
            limit=limit,
            cursor=cursor,
            where=[
                PersonalAccessToken.user_id == user_id,
                PersonalAccessToken.revoked_at.is_(None),
                PersonalAccessToken.expires_at > now,
            ],
        )

    def export_chunk(self, user_id: int, *, after_id: int, limit: int) -> list[PersonalAccessToken]:
        """A keyset step over all the user's tokens, revoked and expired too, oldest first."""
        return self.find_after(
            after_id, limit=limit, where=[PersonalAccessToken.user_id == user_id]
        )

    def revoke_all_for(self, user_id: int, at: datetime) -> list[str]:
        """Revoke every live token of the user; returns their hashes (for the cache)."""
        conditions = [
            PersonalAccessToken.user_id == user_id,
            PersonalAccessToken.revoked_at.is_(None),
        ]
        found = select(PersonalAccessToken.token_hash).where(*conditions)
        hashes = list(self.session.scalars(found))
        if hashes:
            revoke = update(PersonalAccessToken).where(*conditions).values(revoked_at=at)
            self.session.execute(revoke)
        return hashes
