"""Queries over the audit log."""

from __future__ import annotations

from sqlalchemy import select

from webapp.models import Event
from webapp.repositories.base import Repository


class EventRepository(Repository[Event]):
    model = Event

    def exists(self, event_type: str, subject: str) -> bool:
        """Whether an event of this type was ever recorded about this subject."""
        query = select(Event.id).where(Event.type == event_type, Event.subject == subject)
        return self.session.scalar(query.limit(1)) is not None
