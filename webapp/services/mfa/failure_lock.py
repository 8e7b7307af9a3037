"""The lock after wrong codes: a user's `user.mfa_failed` events within MFA_FAILURE_LIMIT's
window, counted and recorded under their row lock in the transaction that checks a code."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from flask import current_app
from limits import parse

from webapp.core.errors import AppError, TooManyAttempts
from webapp.models.base import utcnow
from webapp.services.events import DomainEvent, subject
from webapp.services.unit_of_work import UnitOfWork, transaction

T = TypeVar("T")

MFA_FAILED = "user.mfa_failed"
PURPOSE_LOGIN = "login"
PURPOSE_CONFIRM = "confirm"
PURPOSE_DISABLE = "disable"
PURPOSE_RECOVERY_CODES = "recovery_codes"
LOCKED = "Too many wrong codes. Wait a few minutes and try again."


@dataclass(frozen=True)
class Refused:
    """A wrong code, counted: returned by the work (not raised) so that the transaction
    commits the count, then raised by `counting_transaction`."""

    error: AppError


class FailureLock:
    """Wrong codes per user, as their `user.mfa_failed` events within MFA_FAILURE_LIMIT's
    (moving) window. Both are called inside the transaction that evaluates a code, after
    the user's row is locked: the database orders the tries, whichever worker runs them."""

    def ensure_not_locked(self, uow: UnitOfWork, user_id: int) -> None:
        """429 while the user's wrong codes within the window have reached the limit."""
        limit = parse(current_app.config["MFA_FAILURE_LIMIT"])
        window = timedelta(seconds=limit.get_expiry())
        now = utcnow()
        recent = uow.events.times_since(
            MFA_FAILED, subject("user", user_id), since=now - window, limit=limit.amount
        )
        if len(recent) < limit.amount:
            return
        # The next try is let through once the oldest of these leaves the window.
        retry_after = math.ceil((recent[-1] + window - now).total_seconds())
        raise TooManyAttempts(LOCKED, retry_after=retry_after, limit=limit.amount)

    def record(
        self,
        uow: UnitOfWork,
        user_id: int,
        purpose: str,
        *,
        actor_id: int | None = None,
        kind: str | None = None,
    ) -> None:
        """One wrong code (or password, where one is asked with the code) toward the lock."""
        data = {"purpose": purpose} | ({"kind": kind} if kind else {})
        # At login there is no actor: whoever typed the code has not proved who they are.
        uow.emit(DomainEvent(MFA_FAILED, subject("user", user_id), data, actor_id=actor_id))

    def refuse(
        self,
        uow: UnitOfWork,
        user_id: int,
        purpose: str,
        error: AppError,
        *,
        actor_id: int | None = None,
        kind: str | None = None,
    ) -> Refused:
        """Count a wrong code and answer `error` once the count is committed: the work
        returns this, and `counting_transaction` raises it."""
        self.record(uow, user_id, purpose, actor_id=actor_id, kind=kind)
        return Refused(error)


failures = FailureLock()


def counting_transaction(work: Callable[[UnitOfWork], T | Refused]) -> T:
    """`work` in one transaction that commits either way; a `Refused` it returns (its wrong
    code counted) is raised after the commit."""
    result = transaction(work)
    if isinstance(result, Refused):
        raise result.error
    return result
