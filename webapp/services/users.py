"""Users: registration, profiles, passwords, and what admins do to users."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Generic, TypeVar

from webapp.core import email_address
from webapp.core.errors import Conflict, NotFound, ValidationError
from webapp.core.passwords import load_common_passwords, passwords
from webapp.models import Account, AuthSession, Event, Order, User
from webapp.models.base import utcnow
from webapp.models.security import PURPOSE_RESET_PASSWORD
from webapp.models.user import ROLE_ADMIN, ROLE_USER, ROLES, UserRole
from webapp.repositories.keyset import Page
from webapp.services.access_tokens import AccessTokenView, revoke_all_personal_tokens
from webapp.services.auth import AuthService
from webapp.services.email_verification import send_verification_link
from webapp.services.events import DomainEvent, subject
from webapp.services.mail import public_link, queue_mail
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction, unique_violation_as
from webapp.services.user_rows import NO_SUCH_USER, load_user

T = TypeVar("T")

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_NAME_LENGTH = 100
EMAIL_TAKEN = "is already registered"
MIXED_SCRIPTS = "mixes letters of different writing systems; type it in one"
LOOKS_LIKE_ANOTHER = "looks like another member's address; choose another"
LAST_ADMIN = "At least one active admin must remain."
MAX_PAGE_SIZE = 100
DOSSIER_ORDERS = 10
DOSSIER_EVENTS = 20
FORGOT_PASSWORD_PATH = "/forgot-password"  # where a mail about a password change points


@cache
def common_passwords() -> frozenset[str]:
    return load_common_passwords()


def normalize_email(email: str) -> str:
    """The stored form of an email (webapp.core.email_address); ValidationError when it is none."""
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


def search_term(q: str | None) -> str | None:
    """What an admin's search looks for: an address in its stored form, other text as typed."""
    q = (q or "").strip()
    if "@" in q:
        try:
            return email_address.normalize_email(q)
        except email_address.InvalidEmail:
            pass
    return q or None


def name_problem(name: str) -> str | None:
    if not 1 <= len(name.strip()) <= MAX_NAME_LENGTH:
        return f"must be 1 to {MAX_NAME_LENGTH} characters"
    return None


def check_name(name: str, field: str = "name") -> str:
    problem = name_problem(name)
    if problem is not None:
        raise ValidationError(details={field: problem})
    return name.strip()


def password_problem(password: str) -> str | None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
    if password.lower() in common_passwords():
        return "is too common; choose another"
    return None


def check_password_rules(password: str, field: str = "password") -> None:
    problem = password_problem(password)
    if problem is not None:
        raise ValidationError(details={field: problem})


def check_roles(roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValidationError(details={"roles": f"unknown role: {', '.join(unknown)}"})
    if ROLE_USER not in roles:
        raise ValidationError(details={"roles": f"must include {ROLE_USER!r}"})
    return sorted(set(roles))


def change(before: object, after: object) -> dict[str, object]:
    """How a `user.updated` event tells one field's change."""
    return {"from": before, "to": after}


@dataclass(frozen=True)
class AdminOutcome:
    user: User
    created: bool
    promoted: bool


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
    events: list[Event]  # newest about or by the user, at most DOSSIER_EVENTS
    tokens: list[AccessTokenView]  # live personal access tokens, newest first (never values)


def set_password(
    uow: UnitOfWork,
    user: User,
    new_password: str,
    *,
    keep_session_id: int | None,
    tokens_revoked: int | None = None,
) -> None:
    """A new password, for a change and a reset alike: every session but `keep_session_id`
    ends, the open reset links die, and the member is mailed. `tokens_revoked` (a reset
    through a mailed link, which also revoked that many personal access tokens) makes it a
    `user.password_reset`."""
    now = utcnow()
    reset = tokens_revoked is not None
    user.password_hash = passwords.hash(new_password)
    ended = uow.sessions.revoke_all_for(user.id, now, keep=keep_session_id)
    uow.link_tokens.void_open(user.id, PURPOSE_RESET_PASSWORD, now)
    data = {"sessionsEnded": len(ended)}
    if reset:
        data["tokensRevoked"] = tokens_revoked
    uow.emit(
        DomainEvent(
            "user.password_reset" if reset else "user.password_changed",
            subject("user", user.id),
            data,
            actor_id=user.id,
        )
    )
    queue_mail(
        uow,
        kind="password_changed",
        to=user.email,
        user_id=user.id,
        name=user.name,
        how="reset" if reset else "changed",
        when=now.strftime("%Y-%m-%d %H:%M"),
        ended_tokens=reset,
        reset_link=public_link(FORGOT_PASSWORD_PATH),
    )


class UserService:
    def register(self, *, email: str, password: str, name: str) -> User:
        """Create a member (and, through `user.created`, their "Main" account)."""
        email = normalize_email(email)
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

    def get(self, user_id: int) -> User:
        with UnitOfWork() as uow:
            return load_user(uow, user_id)

    def get_for(self, viewer: Principal, user_id: int) -> User:
        """A user as `viewer` may see them: themselves, or anyone for an admin (404 otherwise)."""
        if not viewer.may_act_for(user_id):
            raise NotFound(NO_SUCH_USER)
        return self.get(user_id)

    def update_self(
        self,
        caller: Principal,
        *,
        name: str | None = None,
        current_password: str | None = None,
        new_password: str | None = None,
    ) -> User:
        """Rename and/or change password (which ends every other session of the caller).

        All or nothing: every field is checked, the current password included, before
        anything is written, and both changes commit in one transaction.
        """
        if new_password is not None or current_password is not None:
            caller.require_login_session()
        problems: dict[str, str] = {}
        if name is not None and (problem := name_problem(name)) is not None:
            problems["name"] = problem
        if new_password is not None and (problem := password_problem(new_password)) is not None:
            problems["newPassword"] = problem
        if problems:
            raise ValidationError(details=problems)
        if name is None and new_password is None:
            return self.get(caller.user_id)

        def work(uow: UnitOfWork) -> User:
            user = load_user(uow, caller.user_id)
            if new_password is not None:
                self._check_current_password(user, current_password or "")
                set_password(uow, user, new_password, keep_session_id=caller.session_id)
            if name is not None:
                self._rename(uow, user, name.strip())
            return user

        return transaction(work)

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
            raise ValidationError(details={"page": "must be 1 or more"})
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValidationError(details={"pageSize": f"must be 1 to {MAX_PAGE_SIZE}"})
        if role is not None and role not in ROLES:
            raise ValidationError(details={"role": f"must be one of {', '.join(ROLES)}"})
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
                events=uow.events.recent_involving(user_id, DOSSIER_EVENTS),
                tokens=[
                    AccessTokenView.of(row)
                    for row in uow.access_tokens.list_live_for(user_id, utcnow())
                ],
            )

    def sessions_of(self, user_id: int) -> list[AuthSession]:
        with UnitOfWork() as uow:
            return uow.sessions.list_active_for(user_id)

    def rename(self, user_id: int, name: str) -> User:
        name = check_name(name)

        def work(uow: UnitOfWork) -> User:
            user = load_user(uow, user_id)
            self._rename(uow, user, name)
            return user

        return transaction(work)

    def change_password(
        self, user_id: int, *, current_password: str, new_password: str, keep_session_id: int
    ) -> None:
        """Set a new password; every other session of the user ends, the caller's stays."""
        check_password_rules(new_password, field="newPassword")

        def work(uow: UnitOfWork) -> None:
            user = load_user(uow, user_id)
            self._check_current_password(user, current_password)
            set_password(uow, user, new_password, keep_session_id=keep_session_id)

        transaction(work)

    def update_by_admin(
        self,
        actor_id: int,
        user_id: int,
        *,
        roles: list[str] | None = None,
        is_active: bool | None = None,
        name: str | None = None,
    ) -> User:
        """Change roles, activation or name. Deactivation ends every session and every
        personal access token at once. A change that would leave no active admin is
        refused (409), however many admins make such changes at the same moment."""
        if roles is not None:
            roles = check_roles(roles)
        if name is not None:
            name = check_name(name)
        if actor_id == user_id and (is_active is False or (roles and ROLE_ADMIN not in roles)):
            raise ValidationError(
                details={"roles" if roles else "isActive": "you cannot lock yourself out"}
            )
        removal = "isActive" if is_active is False else "roles"
        may_remove_an_admin = is_active is False or (roles is not None and ROLE_ADMIN not in roles)
        # Two admins granting the same role at once: the second insert hits the primary key.
        raced = Conflict("This user was changed at the same moment; try again.")

        def work(uow: UnitOfWork) -> User:
            if may_remove_an_admin:
                self._ensure_another_active_admin(uow, user_id, field=removal)
            user = load_user(uow, user_id)
            changes: dict[str, object] = {}
            if roles is not None and roles != user.roles:
                changes["roles"] = change(user.roles, roles)
                uow.users.set_roles(user, roles)
            if name is not None and name != user.name:
                changes["name"] = change(user.name, name)
                uow.users.update(user, name=name)
            if is_active is not None and is_active != user.is_active:
                changes["isActive"] = change(user.is_active, is_active)
                uow.users.update(user, is_active=is_active)
                if not is_active:
                    changes["sessionsEnded"] = len(uow.sessions.revoke_all_for(user_id, utcnow()))
                    changes["tokensRevoked"] = revoke_all_personal_tokens(uow, user_id)
            if changes:
                uow.users.update(user, updated_at=utcnow())
                uow.emit(
                    DomainEvent(
                        "user.updated", subject("user", user_id), changes, actor_id=actor_id
                    )
                )
            return user

        with unique_violation_as(raced):
            return transaction(work)

    def revoke_sessions(self, actor_id: int, user_id: int) -> None:
        self.get(user_id)
        AuthService().logout_everywhere(user_id, actor_id=actor_id)

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

    # --- inside a unit of work ------------------------------------------------------------

    @staticmethod
    def _ensure_another_active_admin(uow: UnitOfWork, user_id: int, *, field: str) -> None:
        """Refuse to remove the last active admin: counted in turn with every other change
        that may remove one, so two admins removing each other at once leave one."""
        uow.users.wait_for_admin_changes_turn()
        if uow.users.active_admin_ids() == {user_id}:
            raise Conflict(LAST_ADMIN, details={field: "would leave no active admin"})

    @staticmethod
    def _check_current_password(user: User, current_password: str) -> None:
        if not passwords.verify(user.password_hash, current_password):
            raise ValidationError(details={"currentPassword": "is incorrect"})

    @staticmethod
    def _rename(uow: UnitOfWork, user: User, name: str) -> None:
        if user.name != name:
            renamed = {"name": change(user.name, name)}
            uow.users.update(user, name=name)
            uow.emit(
                DomainEvent("user.updated", subject("user", user.id), renamed, actor_id=user.id)
            )
