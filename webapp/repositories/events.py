"""Queries over the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select

from webapp.models import Event
from webapp.repositories.base import Repository
from webapp.repositories.keyset import Page


def user_subject(user_id: int) -> str:
    return f"user:{user_id}"


class EventRepository(Repository[Event]):
    model = Event

    def exists(self, event_type: str, subject: str) -> bool:
        """Whether an event of this type was ever recorded about this subject."""
        query = select(Event.id).where(Event.type == event_type, Event.subject == subject)
        return self.session.scalar(query.limit(1)) is not None

    def times_since(
        self, event_type: str, subject: str, *, since: datetime, limit: int
    ) -> list[datetime]:
        """When the newest `limit` events of this type about this subject, at or after
        `since`, were recorded: newest first."""
        statement = (
            select(Event.created_at)
            .where(Event.type == event_type, Event.subject == subject, Event.created_at >= since)
            .order_by(Event.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(statement))

    def page_log(
        self, *, limit: int, cursor: str | None, event_type: str | None, user_id: int | None
    ) -> Page[Event]:
        """One page of the audit log, newest first: of one type or any (None), about or by
        one user or anyone (None)."""
        where = self._log_filters(event_type, user_id)
        return self.find_page(limit=limit, cursor=cursor, where=where)

    def recent_involving(self, user_id: int, limit: int) -> list[Event]:
        """The newest events about the user (subject "user:<id>") or done by them."""
        return self.find_many(where=self._log_filters(None, user_id), limit=limit)

    def export_chunk(self, user_id: int, *, after_id: int, limit: int) -> list[Event]:
        """A keyset step over the events about the user or done by them, oldest first."""
        return self.find_after(after_id, limit=limit, where=self._log_filters(None, user_id))

    def types_present(self) -> list[str]:
        """Every event type the log holds, sorted."""
        statement = select(Event.type).distinct().order_by(Event.type)
        return list(self.session.scalars(statement))

    @staticmethod
    def _log_filters(event_type: str | None, user_id: int | None) -> list[ColumnElement[bool]]:
        filters: list[ColumnElement[bool]] = []
        if event_type is not None:
            filters.append(Event.type == event_type)
        if user_id is not None:
            filters.append(or_(Event.subject == user_subject(user_id), Event.actor_id == user_id))
        return filters
