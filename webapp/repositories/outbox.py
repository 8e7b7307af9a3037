"""Queries over the mail outbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select

from webapp.models import OutboxMail
from webapp.repositories.base import Repository


class OutboxRepository(Repository[OutboxMail]):
    model = OutboxMail

    def claim_due(
        self,
        now: datetime,
        *,
        limit: int,
        ids: Iterable[int] | None = None,
        wait_for_retry: bool = True,
        max_attempts: int | None = None,
    ) -> list[OutboxMail]:
        """Unsent mails that no sender holds (of `ids` only, when given), oldest first,
        locked for this transaction, so that the caller can lease them; with
        `wait_for_retry`, only those whose next try is due. On PostgreSQL rows another
        transaction holds are skipped, so senders on several hosts never take one mail twice."""
        conditions = [
            OutboxMail.sent_at.is_(None),
            or_(OutboxMail.leased_until.is_(None), OutboxMail.leased_until <= now),
        ]
        if wait_for_retry:
            conditions.append(
                or_(OutboxMail.next_attempt_at.is_(None), OutboxMail.next_attempt_at <= now)
            )
        if max_attempts is not None:
            conditions.append(OutboxMail.attempts < max_attempts)
        if ids is not None:
            conditions.append(OutboxMail.id.in_(list(ids)))
        statement = (
            select(OutboxMail)
            .where(*conditions)
            .order_by(OutboxMail.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(statement))

    def count_unsent(self) -> int:
        return self.count(where=[OutboxMail.sent_at.is_(None)])

    def delete_sent(self, before: datetime, *, limit: int) -> int:
        """One batch of mails sent before `before` (their bodies were wiped when sent)."""
        return self.delete_batch(
            where=[OutboxMail.sent_at.is_not(None), OutboxMail.sent_at < before], limit=limit
        )
