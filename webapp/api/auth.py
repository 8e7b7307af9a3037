"""/api/v1/auth: register, log in for tokens, refresh them, log out."""

from __future__ import annotations

from flask import Response, request
from spectree import Response as SpecResponse

from webapp.api.auth_guard import principal, require_auth
from webapp.api.blueprint import bp
from webapp.api.envelope import api_success, no_content
from webapp.api.schemas import (
    LoginRequest,
    RefreshRequest,
    TokenPairPublic,
    UserCreate,
    UserPublic,
)
from webapp.api.validation import spec
from webapp.ratelimits import (
    client_ip,
    login_per_email,
    login_per_ip,
    refresh_per_ip,
    register_per_ip,
)
from webapp.services.auth import AuthService, ClientInfo
from webapp.services.users import UserService


def client_info() -> ClientInfo:
    return ClientInfo(ip=client_ip(), user_agent=request.headers.get("User-Agent"))


@bp.post("/auth/register")
@register_per_ip
@spec.validate(json=UserCreate, resp=SpecResponse(HTTP_201=None), tags=["auth"])
def register(json: UserCreate) -> Response:
    user = UserService().register(email=json.email, password=json.password, name=json.name)
    return api_success(UserPublic.model_validate(user), 201)


@bp.post("/auth/login")
@login_per_ip
@login_per_email
@spec.validate(json=LoginRequest, resp=SpecResponse(HTTP_200=None), tags=["auth"])
def login(json: LoginRequest) -> Response:
    pair = AuthService().login_for_tokens(json.email, json.password, client_info())
    return api_success(TokenPairPublic.model_validate(pair))


@bp.post("/auth/refresh")
@refresh_per_ip
@spec.validate(json=RefreshRequest, resp=SpecResponse(HTTP_200=None), tags=["auth"])
def refresh(json: RefreshRequest) -> Response:
    pair = AuthService().refresh(json.refresh_token)
    return api_success(TokenPairPublic.model_validate(pair))


@bp.post("/auth/logout")
@spec.validate(json=RefreshRequest, resp=SpecResponse(HTTP_204=None), tags=["auth"])
def logout(json: RefreshRequest) -> Response:
    AuthService().logout(json.refresh_token)
    return no_content()


@bp.post("/auth/logout-all")
@require_auth()
@spec.validate(resp=SpecResponse(HTTP_204=None), tags=["auth"])
def logout_all() -> Response:
    AuthService().logout_everywhere(principal().user_id)
    return no_content()
