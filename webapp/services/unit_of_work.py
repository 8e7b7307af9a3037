"""The unit of work, and the one write path: `transaction()`.

Every write goes through `transaction(work)`:

    def work(uow: UnitOfWork) -> User:
        user = uow.users.create(...)
        uow.emit(DomainEvent("user.created", f"user:{user.id}", {...}))
        return user

    user = transaction(work)

It opens a unit of work that takes the write lock with its first statement (on SQLite
`BEGIN IMMEDIATE`, so writers queue on the busy timeout instead of failing when they
upgrade a read snapshot; PostgreSQL locks rows instead and needs no such thing), runs
`work` and commits. If `work` raises, everything rolls back, its events included. When
the database reports a serialization failure, a deadlock or a busy SQLite file, the whole
of `work` runs again in a fresh transaction, so callers see the retry's result, never a
503: `work` reads what it needs inside the transaction and keeps nothing between attempts.
Wrap the call in `unique_violation_as(conflict)` to answer a unique violation with a 409.
After the commit, the events' after-commit subscribers run, then the callbacks given to
`uow.on_commit()` (once the unit of work has ended), before `transaction()` returns.

`with UnitOfWork() as uow:` only reads: it cannot commit, and anything written through it
is rolled back when it ends. When it only read, it ends its transaction without expiring
what it loaded, so the objects it returns serialize without another query. A unit of work
opened inside another joins it: only the outermost one commits, and only it retries. A
`transaction()` inside a read-only unit of work is refused, since its writes would be lost.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, ClassVar, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from webapp.core.errors import Conflict
from webapp.infra.extensions import db
from webapp.infra.logging import current_request_id
from webapp.infra.sqlite import BEGIN_IMMEDIATE_OPTION, take_writer_turn
from webapp.models import Event
from webapp.repositories.access_tokens import PersonalAccessTokenRepository
from webapp.repositories.accounts import AccountRepository
from webapp.repositories.cart_items import CartItemRepository
from webapp.repositories.events import EventRepository
from webapp.repositories.health import HealthRepository
from webapp.repositories.idempotency import IdempotencyKeyRepository
from webapp.repositories.ledger import LedgerRepository
from webapp.repositories.link_tokens import LinkTokenRepository
from webapp.repositories.orders import OrderRepository
from webapp.repositories.outbox import OutboxRepository
from webapp.repositories.payment_requests import PaymentRequestRepository
from webapp.repositories.products import ProductRepository
from webapp.repositories.recovery_codes import RecoveryCodeRepository
from webapp.repositories.sessions import AuthSessionRepository, RefreshTokenRepository
from webapp.repositories.users import UserRepository
from webapp.services.events import DomainEvent, in_transaction, publish_after_commit

log = logging.getLogger(__name__)

T = TypeVar("T")

_ACTIVE_KEY = "tally.unit_of_work"
_WROTE_KEY = "tally.unit_of_work.wrote"
# PostgreSQL: serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


@event.listens_for(Session, "after_flush")
def _remember_writes(session: Session, _context: Any) -> None:
    session.info[_WROTE_KEY] = True


class UnitOfWork:
    """Repositories over one database transaction. Opened directly, it only reads."""

    writes: ClassVar[bool] = False

    def __init__(self, session: Session | None = None) -> None:
        self._session = session
        self._outer: UnitOfWork | None = None
        self._events: list[DomainEvent] = []
        self._on_commit: list[Callable[[], None]] = []
        self._committed = False
        self._repositories: dict[type, Any] = {}
        self._end_writer_turn: Callable[[], None] | None = None

    @property
    def session(self) -> Session:
        return self._session if self._session is not None else db.session()

    def __enter__(self) -> UnitOfWork:
        session = self.session
        self._outer = session.info.get(_ACTIVE_KEY)
        if self._outer is not None:
            if self.writes and not self._outer.writes:
                raise RuntimeError("a write cannot join a read-only unit of work")
            return self
        session.info[_ACTIVE_KEY] = self
        session.info.pop(_WROTE_KEY, None)
        if self.writes:
            try:
                # A fresh transaction that holds the write lock from its first statement.
                if session.in_transaction():
                    session.rollback()
                self._end_writer_turn = take_writer_turn(session.get_bind())
                session.connection(execution_options={BEGIN_IMMEDIATE_OPTION: True})
            except BaseException:
                # `__exit__` will not run: leave no half-open unit of work for the retry to join.
                session.info.pop(_ACTIVE_KEY, None)
                session.rollback()
                self._end_turn()
                raise
        return self

    def _end_turn(self) -> None:
        end, self._end_writer_turn = self._end_writer_turn, None
        if end is not None:
            end()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._outer is not None:
            return
        try:
            if self._committed:
                return
            if exc_type is None and self._only_read():
                self.session.commit()  # nothing to undo; ends the transaction, keeps objects loaded
            else:
                self._rollback()
        finally:
            self.session.info.pop(_ACTIVE_KEY, None)
            self._end_turn()

    def _only_read(self) -> bool:
        session = self.session
        wrote = session.info.get(_WROTE_KEY) or session.new or session.dirty or session.deleted
        return not wrote and not self._events

    # Repositories over this unit of work's session.
    def _repository(self, repository_class: type[T]) -> T:
        if repository_class not in self._repositories:
            self._repositories[repository_class] = repository_class(self.session)  # type: ignore[call-arg]
        return self._repositories[repository_class]

    @property
    def users(self) -> UserRepository:
        return self._repository(UserRepository)

    @property
    def accounts(self) -> AccountRepository:
        return self._repository(AccountRepository)

    @property
    def cart_items(self) -> CartItemRepository:
        return self._repository(CartItemRepository)

    @property
    def events(self) -> EventRepository:
        return self._repository(EventRepository)

    @property
    def ledger(self) -> LedgerRepository:
        return self._repository(LedgerRepository)

    @property
    def products(self) -> ProductRepository:
        return self._repository(ProductRepository)

    @property
    def orders(self) -> OrderRepository:
        return self._repository(OrderRepository)

    @property
    def idempotency_keys(self) -> IdempotencyKeyRepository:
        return self._repository(IdempotencyKeyRepository)

    @property
    def sessions(self) -> AuthSessionRepository:
        return self._repository(AuthSessionRepository)

    @property
    def refresh_tokens(self) -> RefreshTokenRepository:
        return self._repository(RefreshTokenRepository)

    @property
    def health(self) -> HealthRepository:
        return self._repository(HealthRepository)

    @property
    def link_tokens(self) -> LinkTokenRepository:
        return self._repository(LinkTokenRepository)

    @property
    def recovery_codes(self) -> RecoveryCodeRepository:
        return self._repository(RecoveryCodeRepository)

    @property
    def access_tokens(self) -> PersonalAccessTokenRepository:
        return self._repository(PersonalAccessTokenRepository)

    @property
    def payment_requests(self) -> PaymentRequestRepository:
        return self._repository(PaymentRequestRepository)

    @property
    def outbox(self) -> OutboxRepository:
        return self._repository(OutboxRepository)

    def emit(self, event: DomainEvent) -> Event:
        """Record the event in the audit log and run its in-transaction handlers now."""
        if self._outer is not None:
            return self._outer.emit(event)
        row = self.events.add(
            type=event.type,
            actor_id=event.actor_id,
            subject=event.subject,
            data=dict(event.data),
            request_id=current_request_id(),
        )
        in_transaction.send(event.type, event=event, uow=self)
        self._events.append(event)
        return row

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this transaction has committed, after the events' subscribers
        (never if it rolls back); a failure is logged and never undoes the commit."""
        if self._outer is not None:
            self._outer.on_commit(callback)
            return
        self._on_commit.append(callback)

    def flush(self) -> None:
        self.session.flush()

    def _rollback(self) -> None:
        self._events = []
        self._on_commit = []
        self.session.rollback()


class _WriteUnitOfWork(UnitOfWork):
    """The unit of work `transaction()` hands to its work: write-locked, and it commits."""

    writes = True

    def _commit(self) -> None:
        if self._outer is not None:
            return
        self.session.commit()
        self._committed = True
        self._end_turn()  # the next writer may start while this one's subscribers run
        events, self._events = self._events, []
        publish_after_commit(events)

    def run_commit_callbacks(self) -> None:
        """Once the unit of work has ended: a callback may open a transaction of its own."""
        callbacks, self._on_commit = self._on_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("after-commit callback failed")


def is_retryable(exc: DBAPIError) -> bool:
    """A conflict that the same work, run again, can get past."""
    original = exc.orig
    if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return isinstance(original, sqlite3.OperationalError) and "locked" in str(original)


def is_unique_violation(exc: IntegrityError) -> bool:
    original = exc.orig
    if getattr(original, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return isinstance(original, sqlite3.IntegrityError) and "UNIQUE" in str(original)


@contextmanager
def unique_violation_as(conflict: Conflict) -> Iterator[None]:
    """Report a unique-constraint violation as `conflict`: a concurrent write took the value
    between our check and our insert (the check alone cannot see uncommitted rows)."""
    try:
        yield
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise conflict from exc


def transaction(work: Callable[[UnitOfWork], T], *, attempts: int = 5) -> T:
    """Run `work` in a write unit of work and commit, retrying transient database conflicts.

    The only way to write. Inside another write it simply joins it: only the outermost
    one commits and retries.
    """
    if db.session.info.get(_ACTIVE_KEY) is not None:
        attempts = 1
    for attempt in range(1, attempts + 1):
        try:
            with _WriteUnitOfWork() as uow:
                result = work(uow)
                uow._commit()
            uow.run_commit_callbacks()
            return result
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            log.warning(
                "retrying a transaction after a database conflict",
                extra={"fields": {"attempt": attempt, "error": type(exc.orig).__name__}},
            )
            time.sleep(random.uniform(0, 0.02 * 2**attempt))
    raise AssertionError("unreachable")
