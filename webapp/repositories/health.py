"""The readiness probe's query."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def ping_database(session: Session) -> None:
    """Raise if the database cannot answer a trivial query."""
    session.execute(text("SELECT 1"))
