"""/api/v1/tokens: personal access tokens, managed from a login session only."""

from __future__ import annotations

from webapp.api.auth_guard import principal
from webapp.api.blueprint import bp
from webapp.api.operations import operation
from webapp.api.schemas.access_tokens import (
    AccessTokenCreate,
    AccessTokenCreated,
    AccessTokenPublic,
)
from webapp.api.schemas.bases import CursorQuery
from webapp.repositories.keyset import Page
from webapp.services.access_tokens import AccessTokenService, AccessTokenView, CreatedAccessToken


@bp.get("/tokens")
@operation("users", query=CursorQuery, response=AccessTokenPublic, paginated=True, refusals=(403,))
def list_tokens(query: CursorQuery) -> Page[AccessTokenView]:
    """The caller's personal access tokens that still work, newest first.

    Names, scopes and dates only: a token is shown once, when it is made. 403
    INSUFFICIENT_SCOPE with a personal access token.
    """
    return AccessTokenService().list(principal(), limit=query.limit, cursor=query.cursor)


@bp.post("/tokens")
@operation(
    "users", status=201, body=AccessTokenCreate, response=AccessTokenCreated, refusals=(403,)
)
def create_token(body: AccessTokenCreate) -> CreatedAccessToken:
    """Make a personal access token (`tly_…`) for scripts: answered once, never again.

    Send it as `Authorization: Bearer tly_…`. `read` allows GET only; `write` allows the
    rest. It never has the admin role's powers, and cannot manage tokens, the password or
    the second factor. 403 INSUFFICIENT_SCOPE with a personal access token.
    """
    return AccessTokenService().create(
        principal(), body.name, list(body.scopes), body.expires_in_days
    )


@bp.delete("/tokens/<id:token_id>")
@operation("users", refusals=(403,))
def revoke_token(token_id: int) -> None:
    """Revoke one of the caller's personal access tokens: it stops working at once.

    404 for an unknown, revoked or expired id and for another member's alike. 403
    INSUFFICIENT_SCOPE with a personal access token.
    """
    AccessTokenService().revoke(principal(), token_id)
