"""Queries over users and their roles."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import ColumnElement, case, func, or_, select

from webapp.models import User, UserRole
from webapp.models.user import ROLE_ADMIN
from webapp.repositories.base import Repository
from webapp.repositories.keyset import Page

# The advisory-lock number that changes which may remove an admin take turns on.
ADMIN_CHANGES_LOCK_ID = int.from_bytes(
    hashlib.sha256(b"tally:admin-changes").digest()[:8], "big", signed=True
)


class UserRepository(Repository[User]):
    model = User

    def find_by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email))

    def names_by_ids(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """(name, email) of the users with these ids, in one query: columns only, so the
        roles are not loaded too (ids with no user are left out)."""
        statement = select(User.id, User.name, User.email).where(User.id.in_(sorted(set(ids))))
        return {row.id: (row.name, row.email) for row in self.session.execute(statement)}

    def emails_with_skeleton(self, skeleton: str) -> list[str]:
        return list(self.session.scalars(select(User.email).where(User.email_skeleton == skeleton)))

    def add_role(self, user: User, role: str) -> None:
        if not user.has_role(role):
            user.role_rows.append(UserRole(role=role))
            self.session.flush()

    def set_roles(self, user: User, roles: list[str]) -> None:
        kept = [row for row in user.role_rows if row.role in roles]
        added = [UserRole(role=role) for role in roles if not user.has_role(role)]
        user.role_rows = kept + added
        self.session.flush()

    def active_admin_ids(self) -> set[int]:
        """The users who are active and hold the admin role."""
        statement = (
            select(User.id)
            .join(UserRole)
            .where(User.is_active.is_(True), UserRole.role == ROLE_ADMIN)
        )
        return set(self.session.scalars(statement))

    def wait_for_admin_changes_turn(self) -> None:
        """Hold the turn of changes that may remove an admin until the transaction ends, so
        each reads the admins as the one before left them.

        PostgreSQL: a transaction-level advisory lock, waited for. SQLite needs none: a
        writing transaction there holds the whole file from its first statement.
        """
        if self.session.get_bind().dialect.name != "postgresql":
            return
        self.session.execute(select(func.pg_advisory_xact_lock(ADMIN_CHANGES_LOCK_ID)))

    def search_page(
        self, *, q: str | None, role: str | None, limit: int, cursor: str | None
    ) -> Page[User]:
        """The admin list, newest first: `q` in email or name (case-insensitive), a role."""
        return self.find_page(limit=limit, cursor=cursor, where=self._search_filters(q, role))

    def search_numbered(
        self, *, q: str | None, role: str | None, offset: int, limit: int
    ) -> list[User]:
        """A slice of the admin search in id order (oldest first), for numbered pages."""
        statement = (
            select(User)
            .where(*self._search_filters(q, role))
            .order_by(User.id.asc())
            .offset(offset)
            .limit(limit)
        )
        return list(self.session.scalars(statement))

    def count_matching(self, *, q: str | None, role: str | None) -> int:
        """How many users the admin search finds (the total of its numbered pages)."""
        return self.count(where=self._search_filters(q, role))

    def count_all_and_active(self) -> tuple[int, int]:
        """(every user, the active ones), in one query."""
        active = func.coalesce(func.sum(case((User.is_active.is_(True), 1), else_=0)), 0)
        every, active_count = self.session.execute(select(func.count(User.id), active)).one()
        return int(every), int(active_count)

    @staticmethod
    def _search_filters(q: str | None, role: str | None) -> list[ColumnElement[bool]]:
        filters: list[ColumnElement[bool]] = []
        if q:
            pattern = (
                "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            filters.append(
                or_(
                    User.email.like(pattern, escape="\\"),
                    func.lower(User.name).like(pattern, escape="\\"),
                )
            )
        if role:
            filters.append(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
        return filters
