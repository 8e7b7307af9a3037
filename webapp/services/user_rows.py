"""Loading a user's row inside a unit of work: one way, one answer when there is none."""

from __future__ import annotations

from webapp.core.errors import AppError, NotFound
from webapp.models import User
from webapp.services.unit_of_work import UnitOfWork

NO_SUCH_USER = "No such user."


def load_user(
    uow: UnitOfWork, user_id: int, *, lock: bool = False, missing: AppError | None = None
) -> User:
    """The user, or `missing` (404 "No such user." unless given) when there is none.
    `lock` holds the row until the transaction ends (SELECT … FOR UPDATE), for changes
    that read it first."""
    user = (
        uow.users.lock_for_update([user_id]).get(user_id) if lock else uow.users.find_by_id(user_id)
    )
    if user is None:
        raise missing or NotFound(NO_SUCH_USER)
    return user
