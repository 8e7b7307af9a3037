"""Queries over users and their roles."""

from __future__ import annotations

from sqlalchemy import select

from webapp.models import User, UserRole
from webapp.repositories.base import Repository


class UserRepository(Repository[User]):
    model = User

    def find_by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email))

    def add_role(self, user: User, role: str) -> None:
        if not user.has_role(role):
            user.role_rows.append(UserRole(role=role))
            self.session.flush()
