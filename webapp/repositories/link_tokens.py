"""Queries over mailed single-use links (email verification, password reset)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from webapp.models import LinkToken
from webapp.repositories.base import Repository


class LinkTokenRepository(Repository[LinkToken]):
    model = LinkToken

    def find_by_hash(self, token_hash: str) -> LinkToken | None:
        """The link's row, only read (a page that shows whether a link still works)."""
        return self.session.scalar(select(LinkToken).where(LinkToken.token_hash == token_hash))

    def find_by_hash_for_update(self, token_hash: str) -> LinkToken | None:
        """The link's row, locked until the transaction ends (using it is read-modify-write)."""
        statement = select(LinkToken).where(LinkToken.token_hash == token_hash)
        return self.session.scalar(statement.with_for_update())

    def void_open(self, user_id: int, purpose: str, at: datetime) -> None:
        """Every unused link of this purpose for the user stops working (a newer one was sent,
        or what it was for is done)."""
        self.session.execute(
            update(LinkToken)
            .where(
                LinkToken.user_id == user_id,
                LinkToken.purpose == purpose,
                LinkToken.used_at.is_(None),
                LinkToken.voided_at.is_(None),
            )
            .values(voided_at=at)
        )

    def delete_expired(self, before: datetime, *, limit: int) -> int:
        """One batch of links that expired before `before`, used or not."""
        return self.delete_batch(where=[LinkToken.expires_at < before], limit=limit)
