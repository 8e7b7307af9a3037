"""Personal access tokens: long-lived `tly_…` bearers a member makes for scripts.

A token is shown once, when it is made; only its SHA-256 digest is stored. Requests find
it by that digest through a cache-aside record (negative-cached), and the user's cached
record must be active, so a warm request runs no SQL. It stops working at expiry (checked
against the clock on every request), when revoked, when its user is deactivated and when
their password is reset: each of those forgets its cached record once the change
commits. `lastUsedAt` is written on first use and then at most once a minute.

Scopes: `read` allows safe methods only (the API guard refuses the rest before anything
else about the request); `write` allows the rest, reading included. A token never holds the
admin role's powers and cannot manage credentials (`Principal.require_login_session`).
No token, digest or part of either ever goes into an event, a log line or an error.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from webapp.core.errors import NotFound, ValidationError
from webapp.core.tokens import hash_token
from webapp.models import PersonalAccessToken
from webapp.models.base import utcnow
from webapp.models.security import (
    TOKEN_DEFAULT_DAYS,
    TOKEN_MAX_DAYS,
    TOKEN_MIN_DAYS,
    TOKEN_NAME_LENGTH,
    TOKEN_PREFIX,
    TOKEN_SCOPES,
)
from webapp.repositories.keyset import Page
from webapp.services.cache import CacheAside
from webapp.services.events import DomainEvent, subject
from webapp.services.principal import Principal
from webapp.services.step_up import require_recent_login
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.user_records import user_records

TOKEN_BYTES = 32  # 256 random bits: 43 url-safe characters after the prefix
LAST_USED_EVERY = timedelta(seconds=60)  # how stale `lastUsedAt` may get before a write
DEFAULT_PAGE_SIZE = 20
NO_SUCH_TOKEN = "No such token."
NAME_RULE = f"The name must be 1 to {TOKEN_NAME_LENGTH} printable characters."
SCOPES_RULE = f"The scopes must be one or more of {', '.join(TOKEN_SCOPES)}."
DAYS_RULE = f"The expiry must be a whole number of days from {TOKEN_MIN_DAYS} to {TOKEN_MAX_DAYS}."


@dataclass(frozen=True)
class TokenRecord:
    """What a request needs to know about a token, cached by its digest."""

    id: int
    user_id: int
    scopes: tuple[str, ...]
    expires_at: datetime
    last_used_at: datetime | None
    revoked: bool

    def works_at(self, now: datetime) -> bool:
        return not self.revoked and now < self.expires_at


@dataclass(frozen=True)
class AccessTokenView:
    """A token as its owner (or an admin) sees it in a list: never the token nor its hash."""

    id: int
    user_id: int
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: PersonalAccessToken) -> AccessTokenView:
        return cls(
            id=row.id,
            user_id=row.user_id,
            name=row.name,
            scopes=row.scope_list,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
        )


@dataclass(frozen=True)
class CreatedAccessToken(AccessTokenView):
    """Only in the answer to its creation: the token itself, never shown again."""

    token: str


def load_token_record(token_hash: str) -> TokenRecord | None:
    with UnitOfWork() as uow:
        row = uow.access_tokens.find_by_hash(token_hash)
        if row is None:
            return None
        return TokenRecord(
            id=row.id,
            user_id=row.user_id,
            scopes=tuple(row.scope_list),
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked=row.revoked_at is not None,
        )


token_records: CacheAside[TokenRecord] = CacheAside(
    "pat", load=load_token_record, ttl=300, negative_ttl=30
)


# --- the rules, stated once (the API schema and the form check syntax only) ---------------


def check_name(name: str) -> str:
    """The name without surrounding whitespace; any script, no control characters."""
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= TOKEN_NAME_LENGTH or not name.isprintable():
        raise ValidationError(details={"name": NAME_RULE})
    return name


def check_scopes(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The scopes, each once, in TOKEN_SCOPES order; at least one, none unknown."""
    chosen = set(scopes) if isinstance(scopes, list | tuple) else set()
    if not chosen or not all(isinstance(s, str) and s in TOKEN_SCOPES for s in chosen):
        raise ValidationError(details={"scopes": SCOPES_RULE})
    return tuple(scope for scope in TOKEN_SCOPES if scope in chosen)


def check_days(days: int) -> int:
    if type(days) is not int or not TOKEN_MIN_DAYS <= days <= TOKEN_MAX_DAYS:
        raise ValidationError(details={"expires_in_days": DAYS_RULE})
    return days


def checked_token_fields(
    name: str, scopes: list[str] | tuple[str, ...], days: int
) -> tuple[str, tuple[str, ...], int]:
    """Every field checked, every problem reported at once (`details` per field)."""
    problems: dict[str, str] = {}
    checked: list[object] = []
    for check, value in ((check_name, name), (check_scopes, scopes), (check_days, days)):
        try:
            checked.append(check(value))  # type: ignore[operator]
        except ValidationError as error:
            problems.update(error.details or {})
    if problems:
        raise ValidationError(details=problems)
    return checked[0], checked[1], checked[2]  # type: ignore[return-value]


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def looks_like_personal_token(bearer: str) -> bool:
    return bearer.startswith(TOKEN_PREFIX)


# --- inside another service's transaction --------------------------------------------------


def forget_cached(uow: UnitOfWork, hashes: list[str]) -> None:
    """After this transaction commits, no request may use what was cached for these."""

    def forget() -> None:
        for token_hash in hashes:
            token_records.invalidate(token_hash)

    if hashes:
        uow.on_commit(forget)


def revoke_all_personal_tokens(uow: UnitOfWork, user_id: int) -> int:
    """Revoke every live token of the user in this transaction; they stop working once it
    commits (a deactivation, a password reset). Returns how many there were."""
    hashes = uow.access_tokens.revoke_all_for(user_id, utcnow())
    forget_cached(uow, hashes)
    return len(hashes)


# --- authentication --------------------------------------------------------------------------


def principal_for_personal_token(token: str) -> Principal | None:
    """The caller behind a `tly_…` bearer, or None when it does not work (the same answer for
    a forged, expired, revoked or deactivated one). No SQL when warm."""
    token_hash = hash_token(token)
    record = token_records.get(token_hash)
    now = utcnow()
    if record is None or not record.works_at(now):
        return None
    user = user_records.get(record.user_id)
    if user is None or not user.is_active:
        return None
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_EVERY:
        _note_use(record.id, token_hash, now)
    return Principal(record=user, session_id=0, token_id=record.id, scopes=frozenset(record.scopes))


def _note_use(token_id: int, token_hash: str, now: datetime) -> None:
    """Write `lastUsedAt` (under a row lock, so several workers write it once a minute),
    then load the cached record again with the new value."""

    def work(uow: UnitOfWork) -> None:
        row = uow.access_tokens.lock_for_update([token_id]).get(token_id)
        if row is None or row.revoked_at is not None:
            return
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
            row.last_used_at = now
        forget_cached(uow, [token_hash])

    transaction(work)
    token_records.get(token_hash)


# --- the service ------------------------------------------------------------------------------


class AccessTokenService:
    def create(
        self,
        principal: Principal,
        name: str,
        scopes: list[str],
        expires_in_days: int = TOKEN_DEFAULT_DAYS,
    ) -> CreatedAccessToken:
        """Make a token for the caller (a login session, not a token); the answer is the
        only place the token itself ever appears. It needs a recent login: a token outlives
        the session that makes it."""
        require_recent_login(principal)
        name, chosen, days = checked_token_fields(name, scopes, expires_in_days)
        token = new_token()

        def work(uow: UnitOfWork) -> CreatedAccessToken:
            now = utcnow()
            row = uow.access_tokens.create(
                user_id=principal.user_id,
                name=name,
                scopes=" ".join(chosen),
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + timedelta(days=days),
                last_used_at=None,
                revoked_at=None,
            )
            uow.emit(
                DomainEvent(
                    "user.token_created",
                    subject("user", principal.user_id),
                    {"tokenId": str(row.id), "name": name, "scopes": list(chosen)},
                    actor_id=principal.user_id,
                )
            )
            view = AccessTokenView.of(row)
            return CreatedAccessToken(**view.__dict__, token=token)

        return transaction(work)

    def list(
        self, principal: Principal, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None
    ) -> Page[AccessTokenView]:
        """The caller's tokens that still work, newest first, a page at a time."""
        principal.require_login_session()
        with UnitOfWork() as uow:
            page = uow.access_tokens.page_live_for(
                principal.user_id, utcnow(), limit=limit, cursor=cursor
            )
            items = [AccessTokenView.of(row) for row in page.items]
        return Page(items=items, next_cursor=page.next_cursor, has_more=page.has_more)

    def get(self, principal: Principal, token_id: int) -> AccessTokenView:
        """One of the caller's tokens that still works: 404 for another member's alike."""
        principal.require_login_session()
        return self._live(principal.user_id, token_id)

    def revoke(self, principal: Principal, token_id: int) -> None:
        """Revoke one of the caller's tokens: 404 for an unknown id and for another
        member's alike."""
        principal.require_login_session()
        self._revoke(principal.user_id, token_id, actor_id=principal.user_id)

    # --- for admins ---------------------------------------------------------------------------

    def list_for_user(self, admin: Principal, user_id: int) -> list[AccessTokenView]:
        """A member's live tokens, as an admin sees them (names, scopes, dates)."""
        admin.require_admin()
        with UnitOfWork() as uow:
            return [
                AccessTokenView.of(row)
                for row in uow.access_tokens.list_live_for(user_id, utcnow())
            ]

    def get_for_user(self, admin: Principal, user_id: int, token_id: int) -> AccessTokenView:
        """A member's token that still works, as an admin sees it; 404 when it is not theirs."""
        admin.require_admin()
        return self._live(user_id, token_id)

    def revoke_for_user(self, admin: Principal, user_id: int, token_id: int) -> None:
        """Revoke a member's token (admin); 404 when it is not theirs or not live."""
        admin.require_admin()
        self._revoke(user_id, token_id, actor_id=admin.user_id)

    # --- shared -------------------------------------------------------------------------------

    @staticmethod
    def _live(user_id: int, token_id: int) -> AccessTokenView:
        with UnitOfWork() as uow:
            row = uow.access_tokens.find_by_id(token_id)
            live = row is not None and row.revoked_at is None and row.expires_at > utcnow()
            if row is None or not live or row.user_id != user_id:
                raise NotFound(NO_SUCH_TOKEN)
            return AccessTokenView.of(row)

    @staticmethod
    def _revoke(user_id: int, token_id: int, *, actor_id: int) -> None:
        def work(uow: UnitOfWork) -> None:
            row = uow.access_tokens.lock_for_update([token_id]).get(token_id)
            live = row is not None and row.revoked_at is None and row.expires_at > utcnow()
            if row is None or not live or row.user_id != user_id:
                raise NotFound(NO_SUCH_TOKEN)
            row.revoked_at = utcnow()
            forget_cached(uow, [row.token_hash])
            uow.emit(
                DomainEvent(
                    "user.token_revoked",
                    subject("user", user_id),
                    {"tokenId": str(row.id), "name": row.name, "scopes": row.scope_list},
                    actor_id=actor_id,
                )
            )

        transaction(work)
