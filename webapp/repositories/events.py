"""Queries over the audit log."""

from __future__ import annotations

from webapp.models import Event
from webapp.repositories.base import Repository


class EventRepository(Repository[Event]):
    model = Event
