"""The admin's figures and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from webapp.api.schemas.bases import CursorQuery, PublicSchema
from webapp.api.schemas.fields import IdText, PublicId
from webapp.models.event import TYPE_LENGTH as EVENT_TYPE_LENGTH
from webapp.services import audit


class StatsPublic(PublicSchema):
    users: int
    active_users: int
    accounts: int
    money_held: int
    orders: int
    revenue: int
    # The generator would write "transfers24H"; the contract says "transfers24h".
    transfers_24h: int = Field(alias="transfers24h")
    cache_hits: int
    cache_misses: int
    rate_limited: int


class EventPublic(PublicSchema):
    id: PublicId
    type: str
    actor_id: PublicId | None
    subject: str
    data: dict[str, Any]
    request_id: str | None
    created_at: datetime


class EventListQuery(CursorQuery):
    limit: int = Field(20, ge=1, le=audit.MAX_PAGE_SIZE)
    type: str | None = Field(None, min_length=1, max_length=EVENT_TYPE_LENGTH)
    user_id: IdText | None = None
