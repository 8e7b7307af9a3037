"""Finding users: one by id or email, the API's cursor pages, the admins' numbered pages and
search, and the dossier an admin's page about one user shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from webapp.core import email_address
from webapp.core.errors import NotFound, ValidationError
from webapp.models import Account, AuthSession, Order, User
from webapp.models.base import utcnow
from webapp.models.user import ROLES
from webapp.repositories.keyset import Page
from webapp.services.access_tokens import AccessTokenView
from webapp.services.audit import EventLine, describe
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork
from webapp.services.user_rows import NO_SUCH_USER, load_user

NO_SUCH_SESSION = "No such session."

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DOSSIER_ORDERS = 10
DOSSIER_EVENTS = 20


def search_term(q: str | None) -> str | None:
    """What an admin's search looks for: an address in its stored form, other text as typed."""
    q = (q or "").strip()
    if "@" in q:
        try:
            return email_address.normalize_email(q)
        except email_address.InvalidEmail:
            pass
    return q or None


@dataclass(frozen=True)
class NumberedPage(Generic[T]):
    """Page `page` (1-based) of `page_size` items out of `total`, for "41-60 of 245"."""

    items: list[T]
    page: int
    page_size: int
    total: int

    @property
    def total_pages(self) -> int:
        """At least 1: an empty result is one empty page."""
        return max(1, -(-self.total // self.page_size))

    @property
    def first_index(self) -> int:
        """The 1-based position of the first item in the whole result; 0 when empty."""
        return (self.page - 1) * self.page_size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        """The 1-based position of the last item; 0 when empty."""
        return self.first_index + len(self.items) - 1 if self.items else 0

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages


@dataclass(frozen=True)
class UserDossier:
    """Everything an admin's page about one user shows, loaded up front."""

    user: User
    accounts: list[Account]  # oldest first: "Main" leads
    orders: list[Order]  # newest first, items loaded, at most DOSSIER_ORDERS
    sessions: list[AuthSession]  # active ones, newest first
    events: list[EventLine]  # newest about or by the user, at most DOSSIER_EVENTS, described
    tokens: list[AccessTokenView]  # live personal access tokens, newest first (never values)


class UserDirectory:
    def get(self, user_id: int) -> User:
        with UnitOfWork() as uow:
            return load_user(uow, user_id)

    def get_for(self, viewer: Principal, user_id: int) -> User:
        """A user as `viewer` may see them: themselves, or anyone for an admin (404 otherwise)."""
        if not viewer.may_act_for(user_id):
            raise NotFound(NO_SUCH_USER)
        return self.get(user_id)

    def find_by_email(self, email: str) -> User | None:
        with UnitOfWork() as uow:
            return uow.users.find_by_email(email_address.email_key(email))

    def list_users(
        self,
        *,
        limit: int,
        cursor: str | None = None,
        q: str | None = None,
        role: str | None = None,
    ) -> Page[User]:
        with UnitOfWork() as uow:
            return uow.users.search_page(q=search_term(q), role=role, limit=limit, cursor=cursor)

    def numbered_page(
        self,
        viewer: Principal,
        *,
        q: str | None = None,
        role: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> NumberedPage[User]:
        """Admins' user list in id order with its total: `q` in email or name, a role.

        A page past the last is empty (its total still counts every match).
        """
        viewer.require_admin()
        if page < 1:
            raise ValidationError(details={"page": "The page must be 1 or more."})
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValidationError(
                details={"page_size": f"The page size must be 1 to {MAX_PAGE_SIZE}."}
            )
        if role is not None and role not in ROLES:
            raise ValidationError(details={"role": f"The role must be one of {', '.join(ROLES)}."})
        q = search_term(q)
        offset = (page - 1) * page_size
        with UnitOfWork() as uow:
            total = uow.users.count_matching(q=q, role=role)
            # Past the last page nothing is asked: an offset there may not even fit a BIGINT.
            items = (
                uow.users.search_numbered(q=q, role=role, offset=offset, limit=page_size)
                if offset < total
                else []
            )
        return NumberedPage(items=items, page=page, page_size=page_size, total=total)

    def dossier(self, viewer: Principal, user_id: int) -> UserDossier:
        """One user as an admin sees them: profile, accounts, recent orders (with items),
        active sessions, personal access tokens and recent events, in a fixed number of
        queries (admins only)."""
        viewer.require_admin()
        with UnitOfWork() as uow:
            user = load_user(uow, user_id)
            return UserDossier(
                user=user,
                accounts=uow.accounts.list_for_user(user_id),
                orders=uow.orders.recent_for_user(user_id, DOSSIER_ORDERS),
                sessions=uow.sessions.list_active_for(user_id),
                events=describe(uow, uow.events.recent_involving(user_id, DOSSIER_EVENTS)),
                tokens=[
                    AccessTokenView.of(row)
                    for row in uow.access_tokens.list_live_for(user_id, utcnow())
                ],
            )

    def sessions_of(self, user_id: int) -> list[AuthSession]:
        with UnitOfWork() as uow:
            return uow.sessions.list_active_for(user_id)

    def session_of(self, user_id: int, session_id: int) -> AuthSession:
        """One of the user's active sessions: 404 for another user's or an ended one alike."""
        found = next((s for s in self.sessions_of(user_id) if s.id == session_id), None)
        if found is None:
            raise NotFound(NO_SUCH_SESSION)
        return found
