"""Personal access tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from webapp.api.schemas.bases import PublicSchema, RequestSchema
from webapp.api.schemas.fields import PublicId, TokenDays, TokenName, TokenScope, example
from webapp.models.security import TOKEN_DEFAULT_DAYS, TOKEN_SCOPES


class AccessTokenCreate(RequestSchema):
    model_config = example({"name": "nightly export", "scopes": ["read"], "expiresInDays": 30})

    name: TokenName
    scopes: list[TokenScope] = Field(min_length=1, max_length=len(TOKEN_SCOPES))
    expires_in_days: TokenDays = TOKEN_DEFAULT_DAYS


class AccessTokenPublic(PublicSchema):
    id: PublicId
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


class AccessTokenCreated(AccessTokenPublic):
    """Only in the answer to its creation: the token itself, never shown again."""

    token: str
