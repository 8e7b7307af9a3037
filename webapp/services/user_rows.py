"""Loading a user's row inside a unit of work: one way, one answer when there is none; and
the people a page names, loaded together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Person:
    """A user as a page names them; `name` and `email` are None when no user has the id
    (one the log or an order outlived)."""

    id: int
    name: str | None = None
    email: str | None = None

    @property
    def known(self) -> bool:
        return self.email is not None


def load_people(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, Person]:
    """A Person for each id, in one query whatever their number (an unknown id included)."""
    wanted = set(ids)
    found = uow.users.names_by_ids(wanted)
    return {
        user_id: Person(user_id, *found[user_id]) if user_id in found else Person(user_id)
        for user_id in wanted
    }
