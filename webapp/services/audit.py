"""The audit log as admins read it: every domain event, newest first."""

from __future__ import annotations

from webapp.core.errors import ValidationError
from webapp.models import Event
from webapp.repositories.keyset import Page
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork

MAX_PAGE_SIZE = 100
RECENT_EVENTS = 20


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(details={"limit": f"must be 1 to {MAX_PAGE_SIZE}"})
    return limit


class AuditService:
    def page(
        self,
        viewer: Principal,
        *,
        limit: int,
        cursor: str | None = None,
        event_type: str | None = None,
        user_id: int | None = None,
    ) -> Page[Event]:
        """One page of the log, newest first (admins only): of one type, and/or involving one
        user — events about them (subject "user:<id>") or done by them (actor). A malformed
        cursor raises InvalidCursor."""
        viewer.require_admin()
        check_limit(limit)
        with UnitOfWork() as uow:
            return uow.events.page_log(
                limit=limit, cursor=cursor, event_type=event_type or None, user_id=user_id
            )

    def recent_about_user(
        self, viewer: Principal, user_id: int, *, limit: int = RECENT_EVENTS
    ) -> list[Event]:
        """The newest events about or by the user, newest first (admins only)."""
        viewer.require_admin()
        check_limit(limit)
        with UnitOfWork() as uow:
            return uow.events.recent_involving(user_id, limit)

    def event_types(self) -> list[str]:
        """The distinct event types the log holds, sorted (the choices of a type filter)."""
        with UnitOfWork() as uow:
            return uow.events.types_present()
