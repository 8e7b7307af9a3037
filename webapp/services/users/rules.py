"""What a user's name, email, password and roles must be, checked for the form and the API
alike, and how a `user.updated` event tells a change."""

from __future__ import annotations

from functools import cache

from webapp.core import email_address
from webapp.core.errors import ValidationError
from webapp.core.passwords import load_common_passwords
from webapp.models.user import ROLE_USER, ROLES
from webapp.services.unit_of_work import UnitOfWork

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_NAME_LENGTH = 100
MIXED_SCRIPTS = "This address mixes letters of different writing systems. Type it in one."
LOOKS_LIKE_ANOTHER = "This address looks like another member's. Choose another."


@cache
def common_passwords() -> frozenset[str]:
    return load_common_passwords()


def checked_email(email: str) -> str:
    """The stored form of an email (`email_address.normalize_email`, the one normalization);
    a 422 on `email` when it is none."""
    try:
        return email_address.normalize_email(email)
    except email_address.InvalidEmail as exc:
        raise ValidationError(details={"email": str(exc)}) from exc


def check_not_look_alike(uow: UnitOfWork, email: str) -> None:
    """A new address may not mix writing systems, nor look like a member's (TR39)."""
    if email_address.mixes_scripts(email):
        raise ValidationError(details={"email": MIXED_SCRIPTS})
    for other in uow.users.emails_with_skeleton(email_address.skeleton(email)):
        if email_address.look_alike(email, other):
            raise ValidationError(details={"email": LOOKS_LIKE_ANOTHER})


def name_problem(name: str) -> str | None:
    if not 1 <= len(name.strip()) <= MAX_NAME_LENGTH:
        return f"The name must be 1 to {MAX_NAME_LENGTH} characters."
    return None


def check_name(name: str, field: str = "name") -> str:
    problem = name_problem(name)
    if problem is not None:
        raise ValidationError(details={field: problem})
    return name.strip()


def password_problem(password: str) -> str | None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters."
    if password.lower() in common_passwords():
        return "This password is too common. Choose another."
    return None


def check_password_rules(password: str, field: str = "password") -> None:
    problem = password_problem(password)
    if problem is not None:
        raise ValidationError(details={field: problem})


def check_roles(roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValidationError(details={"roles": f"There is no role {', '.join(unknown)}."})
    if ROLE_USER not in roles:
        raise ValidationError(details={"roles": f"The roles must include {ROLE_USER!r}."})
    return sorted(set(roles))


def change(before: object, after: object) -> dict[str, object]:
    """How a `user.updated` event tells one field's change."""
    return {"from": before, "to": after}
