"""The readiness probe's query."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


class HealthRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        self.session.execute(text("SELECT 1"))
