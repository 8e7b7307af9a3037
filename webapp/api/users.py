"""/api/v1/users: the caller's profile, and user administration."""

from __future__ import annotations

from flask import Response
from spectree import Response as SpecResponse

from webapp.api.auth_guard import principal, require_auth
from webapp.api.blueprint import bp
from webapp.api.envelope import api_page, api_success, no_content
from webapp.api.schemas import (
    OrderPublic,
    UserAdminUpdate,
    UserListQuery,
    UserPublic,
    UserSelfUpdate,
    UserWithOrders,
)
from webapp.api.validation import spec
from webapp.models.user import ROLE_ADMIN
from webapp.ratelimits import password_check_per_user
from webapp.services.orders import OrderService
from webapp.services.users import UserService


@bp.get("/users/me")
@require_auth()
@spec.validate(resp=SpecResponse(HTTP_200=None), tags=["users"])
def get_me() -> Response:
    return api_success(UserPublic.model_validate(principal().record))


@bp.patch("/users/me")
@require_auth()
@password_check_per_user
@spec.validate(json=UserSelfUpdate, resp=SpecResponse(HTTP_200=None), tags=["users"])
def update_me(json: UserSelfUpdate) -> Response:
    user = UserService().update_self(
        principal(),
        name=json.name,
        current_password=json.current_password,
        new_password=json.new_password,
    )
    return api_success(UserPublic.model_validate(user))


@bp.get("/users")
@require_auth(ROLE_ADMIN)
@spec.validate(query=UserListQuery, resp=SpecResponse(HTTP_200=None), tags=["users"])
def list_users(query: UserListQuery) -> Response:
    page = UserService().list_users(
        limit=query.limit, cursor=query.cursor, q=query.q, role=query.role
    )
    if query.include != "orders":
        return api_page(page, query.limit, [UserPublic.model_validate(u) for u in page.items])
    orders = OrderService().recent_for_users([u.id for u in page.items])
    items = [
        UserWithOrders(
            **UserPublic.model_validate(u).model_dump(),
            orders=[OrderPublic.model_validate(o) for o in orders[u.id]],
        )
        for u in page.items
    ]
    return api_page(page, query.limit, items)


@bp.get("/users/<id:user_id>")
@require_auth()
@spec.validate(resp=SpecResponse(HTTP_200=None), tags=["users"])
def get_user(user_id: int) -> Response:
    return api_success(UserPublic.model_validate(UserService().get_for(principal(), user_id)))


@bp.patch("/users/<id:user_id>")
@require_auth(ROLE_ADMIN)
@spec.validate(json=UserAdminUpdate, resp=SpecResponse(HTTP_200=None), tags=["users"])
def update_user(user_id: int, json: UserAdminUpdate) -> Response:
    user = UserService().update_by_admin(
        principal().user_id, user_id, roles=json.roles, is_active=json.is_active, name=json.name
    )
    return api_success(UserPublic.model_validate(user))


@bp.post("/users/<id:user_id>/revoke-sessions")
@require_auth(ROLE_ADMIN)
@spec.validate(resp=SpecResponse(HTTP_204=None), tags=["users"])
def revoke_sessions(user_id: int) -> Response:
    UserService().revoke_sessions(principal().user_id, user_id)
    return no_content()
