"""/api/v1/auth: register, log in for tokens, refresh them, log out."""

from __future__ import annotations

from flask import request

from webapp.api.auth_guard import principal
from webapp.api.blueprint import bp
from webapp.api.operations import Link, operation
from webapp.api.schemas.auth import LoginRequest, RefreshRequest, TokenPairPublic, UserCreate
from webapp.api.schemas.users import UserPublic
from webapp.infra.ratelimits import (
    client_ip,
    login_per_email,
    login_per_ip,
    refresh_per_ip,
    register_per_ip,
)
from webapp.models import User
from webapp.services.auth import AuthService, ClientInfo, TokenPair
from webapp.services.users.registration import RegistrationService

# A token pair's refresh token feeds the next refresh, and its access token every call.
WITH_THE_PAIR = {
    "Refresh": Link(
        "refresh",
        request_body={"refreshToken": "$response.body#/data/refreshToken"},
        description="Trade the refresh token for a new pair (the old one dies).",
    ),
    "GetMe": Link(
        "get_me",
        {"header.Authorization": "Bearer {$response.body#/data/accessToken}"},
        description="Call as the user who logged in.",
    ),
}


def client_info() -> ClientInfo:
    return ClientInfo(ip=client_ip(), user_agent=request.headers.get("User-Agent"))


@bp.post("/auth/register")
@register_per_ip
@operation("auth", status=201, auth=False, body=UserCreate, response=UserPublic, refusals=(409,))
def register(body: UserCreate) -> User:
    """Register a member, with their first account "Main" (409 when the email is taken)."""
    return RegistrationService().register(email=body.email, password=body.password, name=body.name)


@bp.post("/auth/login")
@login_per_ip
@login_per_email
@operation(
    "auth",
    auth=False,
    body=LoginRequest,
    response=TokenPairPublic,
    refusals=(401, 403),
    links=WITH_THE_PAIR,
)
def login(body: LoginRequest) -> TokenPair:
    """Log in for an access and a refresh token (the same 401 for any wrong credential).

    A member with a second factor sends `otp` too, a current code of their authenticator
    app or an unused recovery code: with the right password but no right code the answer is
    401 MFA_REQUIRED; after 5 wrong codes in 5 minutes, 429 for that user, a right code too.
    """
    return AuthService().login_for_tokens(body.email, body.password, client_info(), otp=body.otp)


@bp.post("/auth/refresh")
@refresh_per_ip
@operation(
    "auth",
    auth=False,
    body=RefreshRequest,
    response=TokenPairPublic,
    refusals=(401,),
    links=WITH_THE_PAIR,
)
def refresh(body: RefreshRequest) -> TokenPair:
    """A new token pair; reusing a refresh token already traded revokes its whole family."""
    return AuthService().refresh(body.refresh_token)


@bp.post("/auth/logout")
@operation("auth", auth=False, body=RefreshRequest, refusals=(401,))
def logout(body: RefreshRequest) -> None:
    """End the session of this refresh token: it and its access tokens stop at once."""
    AuthService().logout(body.refresh_token)


@bp.post("/auth/logout-all")
@operation("auth")
def logout_all() -> None:
    """End every session of the caller, refresh and access tokens alike."""
    AuthService().logout_everywhere(principal().user_id)
