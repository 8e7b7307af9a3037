"""/api/v1/admin: the system's figures and the audit log (admins)."""

from __future__ import annotations

from flask import Response
from spectree import Response as SpecResponse

from webapp.api.auth_guard import principal, require_auth
from webapp.api.blueprint import bp
from webapp.api.envelope import api_page, api_success
from webapp.api.schemas import EventListQuery, EventPublic, StatsPublic
from webapp.api.validation import spec
from webapp.models.user import ROLE_ADMIN
from webapp.services.audit import AuditService
from webapp.services.stats import StatsService


@bp.get("/admin/stats")
@require_auth(ROLE_ADMIN)
@spec.validate(resp=SpecResponse(HTTP_200=None), tags=["admin"])
def admin_stats() -> Response:
    return api_success(StatsPublic.model_validate(StatsService().overview(principal())))


@bp.get("/admin/events")
@require_auth(ROLE_ADMIN)
@spec.validate(query=EventListQuery, resp=SpecResponse(HTTP_200=None), tags=["admin"])
def admin_events(query: EventListQuery) -> Response:
    page = AuditService().page(
        principal(),
        limit=query.limit,
        cursor=query.cursor,
        event_type=query.type,
        user_id=int(query.user_id) if query.user_id else None,
    )
    return api_page(page, query.limit, [EventPublic.model_validate(e) for e in page.items])
