"""/api/v1/users: the caller's profile, and user administration."""

from __future__ import annotations

from webapp.api.auth_guard import principal
from webapp.api.blueprint import bp
from webapp.api.operations import operation
from webapp.api.schemas.shop import OrderPublic
from webapp.api.schemas.users import (
    UserAdminUpdate,
    UserListQuery,
    UserPublic,
    UserSelfUpdate,
    UserWithOrders,
)
from webapp.infra.ratelimits import password_check_per_user
from webapp.models import User
from webapp.models.user import ROLE_ADMIN
from webapp.repositories.keyset import Page
from webapp.services.shop.orders import OrderService
from webapp.services.user_records import UserRecord
from webapp.services.users.administration import UserAdminService
from webapp.services.users.directory import UserDirectory
from webapp.services.users.profile import ProfileService


@bp.get("/users/me")
@operation("users", response=UserPublic)
def get_me() -> UserRecord:
    """The caller's profile."""
    return principal().record


@bp.patch("/users/me")
@password_check_per_user
@operation("users", body=UserSelfUpdate, response=UserPublic)
def update_me(body: UserSelfUpdate) -> User:
    """Change the caller's name, money-received mail, or password (which ends every other
    session)."""
    return ProfileService().update_self(
        principal(),
        name=body.name,
        notify_money_received=body.notify_money_received,
        current_password=body.current_password,
        new_password=body.new_password,
    )


@bp.get("/users")
@operation(
    "users",
    roles=(ROLE_ADMIN,),
    query=UserListQuery,
    response=UserWithOrders | UserPublic,
    paginated=True,
)
def list_users(query: UserListQuery) -> Page[UserPublic]:
    """Every user, searchable by email or name, by role; with their orders on request."""
    page = UserDirectory().list_users(
        limit=query.limit, cursor=query.cursor, q=query.q, role=query.role
    )
    if query.include != "orders":
        return page
    orders = OrderService().recent_for_users([u.id for u in page.items])
    items = [
        UserWithOrders(
            **UserPublic.model_validate(u).model_dump(),
            orders=[OrderPublic.model_validate(o) for o in orders[u.id]],
        )
        for u in page.items
    ]
    return Page(items, page.next_cursor, page.has_more)


@bp.get("/users/<id:user_id>")
@operation("users", response=UserPublic)
def get_user(user_id: int) -> User:
    """One user: the caller themselves, or anyone for an admin (404 otherwise)."""
    return UserDirectory().get_for(principal(), user_id)


@bp.patch("/users/<id:user_id>")
@operation("users", roles=(ROLE_ADMIN,), body=UserAdminUpdate, response=UserPublic, refusals=(409,))
def update_user(user_id: int, body: UserAdminUpdate) -> User:
    """Set roles, activity or name; deactivation ends the user's sessions at once."""
    return UserAdminService().update_by_admin(
        principal().user_id, user_id, roles=body.roles, is_active=body.is_active, name=body.name
    )


@bp.post("/users/<id:user_id>/revoke-sessions")
@operation("users", roles=(ROLE_ADMIN,))
def revoke_sessions(user_id: int) -> None:
    """End every session of the user."""
    UserAdminService().revoke_sessions(principal().user_id, user_id)
