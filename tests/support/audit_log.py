"""Reading the audit log (the events table) from a test."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from webapp.infra.extensions import db
from webapp.models import Event


def events(app: Flask, event_type: str | None = None) -> list[Event]:
    """The audit log, oldest first (of one type if given)."""
    with app.app_context():
        statement = select(Event).order_by(Event.id)
        if event_type is not None:
            statement = statement.where(Event.type == event_type)
        return list(db.session.scalars(statement))
