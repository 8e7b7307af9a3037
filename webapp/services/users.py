"""Users: registration and administrators."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from webapp.errors import Conflict, ValidationError
from webapp.models import User
from webapp.models.user import ROLE_ADMIN, ROLE_USER, UserRole
from webapp.security import passwords
from webapp.services.events import DomainEvent, subject
from webapp.services.unit_of_work import UnitOfWork

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_NAME_LENGTH = 100
EMAIL_TAKEN = "is already registered"


def normalize_email(email: str) -> str:
    """The stored form of an email: syntax-checked and lowercased; ValidationError otherwise."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(details={"email": str(exc)}) from exc
    return checked.normalized.lower()


def check_password_rules(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationError(
            details={
                "password": f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
            }
        )


@dataclass(frozen=True)
class AdminOutcome:
    user: User
    created: bool
    promoted: bool


class UserService:
    def register(self, *, email: str, password: str, name: str) -> User:
        """Create a member (and, through `user.created`, their "Main" account)."""
        email = normalize_email(email)
        name = name.strip()
        if not 1 <= len(name) <= MAX_NAME_LENGTH:
            raise ValidationError(details={"name": f"must be 1 to {MAX_NAME_LENGTH} characters"})
        check_password_rules(password)
        password_hash = passwords.hash(password)
        with UnitOfWork() as uow:
            if uow.users.find_by_email(email) is not None:
                raise Conflict("This email is already registered.", details={"email": EMAIL_TAKEN})
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
            try:
                uow.commit()
            except IntegrityError as exc:
                # Another registration for this email committed first.
                raise Conflict(
                    "This email is already registered.", details={"email": EMAIL_TAKEN}
                ) from exc
        return user

    def create_or_promote_admin(self, *, email: str, password: str, name: str) -> AdminOutcome:
        """Idempotent: an existing user is promoted (password untouched), else one is created."""
        existing = self.find_by_email(email)
        if existing is None:
            user = self.register(email=email, password=password, name=name)
            created = True
        else:
            user, created = existing, False
        if user.has_role(ROLE_ADMIN):
            return AdminOutcome(user=user, created=created, promoted=False)
        with UnitOfWork() as uow:
            user = uow.users.find_by_id(user.id)
            assert user is not None
            uow.users.add_role(user, ROLE_ADMIN)
            uow.emit(DomainEvent("user.updated", subject("user", user.id), {"roles": user.roles}))
            uow.commit()
        return AdminOutcome(user=user, created=created, promoted=True)

    def find_active(self, user_id: int) -> User | None:
        with UnitOfWork() as uow:
            user = uow.users.find_by_id(user_id)
            return user if user is not None and user.is_active else None

    def find_by_email(self, email: str) -> User | None:
        with UnitOfWork() as uow:
            return uow.users.find_by_email(email.strip().lower())
