"""Registration: a new member, or the operator's admin (created or promoted)."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.core.errors import Conflict
from webapp.core.passwords import passwords
from webapp.models import User
from webapp.models.user import ROLE_ADMIN, ROLE_USER, UserRole
from webapp.services.email_verification import send_verification_link
from webapp.services.events import DomainEvent, subject
from webapp.services.unit_of_work import UnitOfWork, transaction, unique_violation_as
from webapp.services.user_rows import load_user
from webapp.services.users.directory import UserDirectory
from webapp.services.users.rules import (
    change,
    check_name,
    check_not_look_alike,
    check_password_rules,
    checked_email,
)

EMAIL_TAKEN = "This email is already registered."


@dataclass(frozen=True)
class AdminOutcome:
    user: User
    created: bool
    promoted: bool


class RegistrationService:
    def register(self, *, email: str, password: str, name: str) -> User:
        """Create a member (and, through `user.created`, their "Main" account)."""
        email = checked_email(email)
        name = check_name(name)
        check_password_rules(password)
        password_hash = passwords.hash(password)
        taken = Conflict("This email is already registered.", details={"email": EMAIL_TAKEN})

        def work(uow: UnitOfWork) -> User:
            if uow.users.find_by_email(email) is not None:
                raise taken
            check_not_look_alike(uow, email)
            user = uow.users.create(
                email=email,
                name=name,
                password_hash=password_hash,
                role_rows=[UserRole(role=ROLE_USER)],
            )
            uow.emit(
                DomainEvent(
                    "user.created", subject("user", user.id), {"email": email}, actor_id=user.id
                )
            )
            send_verification_link(uow, user)
            return user

        with unique_violation_as(taken):
            return transaction(work)

    def create_or_promote_admin(self, *, email: str, password: str, name: str) -> AdminOutcome:
        """Idempotent: an existing user is promoted (password untouched), else one is created."""
        existing = UserDirectory().find_by_email(email)
        if existing is None:
            user = self.register(email=email, password=password, name=name)
            created = True
        else:
            user, created = existing, False
        if user.has_role(ROLE_ADMIN):
            return AdminOutcome(user=user, created=created, promoted=False)

        def promote(uow: UnitOfWork) -> User:
            promoted = load_user(uow, user.id)
            before = list(promoted.roles)
            uow.users.add_role(promoted, ROLE_ADMIN)
            uow.emit(
                DomainEvent(
                    "user.updated",
                    subject("user", promoted.id),
                    {"roles": change(before, promoted.roles)},
                )
            )
            return promoted

        return AdminOutcome(user=transaction(promote), created=created, promoted=True)
