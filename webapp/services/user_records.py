"""The cached user record: what authentication and `users/me` need, served without SQL.

It holds the user's roles and the ids of their active sessions, so checking a bearer
token or a browser session costs a cache read. Every change to a user or their sessions
emits an event; the after-commit subscriber below invalidates the record before the
write returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from webapp.models import User
from webapp.services.cache import CacheAside
from webapp.services.events import DomainEvent
from webapp.services.unit_of_work import UnitOfWork

# Events after which the record may have changed (the subject is always "user:<id>").
USER_RECORD_EVENTS = (
    "user.created",
    "user.updated",
    "user.login",
    "user.logout",
    "user.password_changed",
    "user.sessions_revoked",
    "auth.refresh_reuse",
    "user.email_verified",
    "user.password_reset",
    "user.mfa_enabled",
    "user.mfa_disabled",
    "user.closed",
)


@dataclass(frozen=True)
class UserRecord:
    id: int
    email: str
    name: str
    roles: tuple[str, ...]
    is_active: bool
    created_at: datetime
    updated_at: datetime
    session_ids: frozenset[int]
    email_verified: bool = False
    mfa_enabled: bool = False
    notify_money_received: bool = True

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @classmethod
    def of(cls, user: User, session_ids: frozenset[int]) -> UserRecord:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            roles=tuple(user.roles),
            is_active=user.is_active,
            created_at=user.created_at,
            updated_at=user.updated_at,
            session_ids=session_ids,
            email_verified=user.email_verified,
            mfa_enabled=user.mfa_enabled,
            notify_money_received=user.notify_money_received,
        )


def load_user_record(user_id: int) -> UserRecord | None:
    with UnitOfWork() as uow:
        user = uow.users.find_by_id(user_id)
        if user is None:
            return None
        return UserRecord.of(user, uow.sessions.active_ids_for(user_id))


user_records: CacheAside[UserRecord] = CacheAside(
    "user", load=load_user_record, ttl=300, negative_ttl=30
)


def invalidate_user_record(_sender: str, *, event: DomainEvent) -> None:
    user_records.invalidate(event.subject_id)
