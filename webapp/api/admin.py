"""/api/v1/admin: the system's figures and the audit log (admins)."""

from __future__ import annotations

from webapp.api.auth_guard import principal
from webapp.api.blueprint import bp
from webapp.api.operations import operation
from webapp.api.schemas.admin import EventListQuery, EventPublic, StatsPublic
from webapp.models import Event
from webapp.models.user import ROLE_ADMIN
from webapp.repositories.keyset import Page
from webapp.services.audit import AuditService
from webapp.services.stats import Stats, StatsService


@bp.get("/admin/stats")
@operation("admin", roles=(ROLE_ADMIN,), response=StatsPublic)
def admin_stats() -> Stats:
    """The system's figures; cache and rate-limit counts are those /metrics shows."""
    return StatsService().overview(principal())


@bp.get("/admin/events")
@operation("admin", roles=(ROLE_ADMIN,), query=EventListQuery, response=EventPublic, paginated=True)
def admin_events(query: EventListQuery) -> Page[Event]:
    """The audit log, newest first, by type, and about or by one user."""
    return AuditService().page(
        principal(),
        limit=query.limit,
        cursor=query.cursor,
        event_type=query.type,
        user_id=int(query.user_id) if query.user_id else None,
    )
