"""The unit of work and the event bus: commit, rollback, and the two phases of handlers."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from webapp.infra.extensions import db
from webapp.models import Account, Event, User
from webapp.models.user import ROLE_USER, UserRole
from webapp.services import unit_of_work as uow_module
from webapp.services.events import DomainEvent, after_commit, in_transaction
from webapp.services.unit_of_work import UnitOfWork, transaction

pytestmark = pytest.mark.usefixtures("app_context")


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def count_in(uow: UnitOfWork, model) -> int:
    """Rows of `model` as this unit of work's transaction sees them."""
    return uow.session.scalar(select(func.count()).select_from(model))


def add_user(uow: UnitOfWork, email: str = "u@example.com") -> User:
    return uow.users.create(
        email=email, name="U", password_hash="x", role_rows=[UserRole(role=ROLE_USER)]
    )


def test_transaction_commits_the_change_and_the_audit_row():
    def work(uow: UnitOfWork) -> User:
        user = add_user(uow)
        uow.emit(DomainEvent("test.happened", f"user:{user.id}", {"n": 1}, actor_id=user.id))
        return user

    user = transaction(work)
    assert count(User) == 1
    event = db.session.scalar(select(Event))
    assert (event.type, event.subject, event.data, event.actor_id) == (
        "test.happened",
        f"user:{user.id}",
        {"n": 1},
        user.id,
    )


def test_a_read_only_unit_of_work_rolls_back_what_was_written_through_it():
    with UnitOfWork() as uow:
        user = add_user(uow)
        uow.emit(DomainEvent("test.happened", f"user:{user.id}"))
    assert count(User) == 0
    assert count(Event) == 0


def test_a_read_only_unit_of_work_cannot_commit():
    with UnitOfWork() as uow:
        assert not hasattr(uow, "commit")


def test_an_exception_in_the_work_rolls_back_the_change_and_the_event():
    def work(uow: UnitOfWork) -> None:
        user = add_user(uow)
        uow.emit(DomainEvent("test.happened", f"user:{user.id}"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        transaction(work)
    assert count(User) == 0
    assert count(Event) == 0


def test_in_transaction_handlers_run_inside_the_same_transaction():
    def open_side_account(_sender, *, event, uow):
        uow.accounts.create(user_id=event.subject_id, name="Side")

    def add_and_announce(uow: UnitOfWork) -> User:
        user = add_user(uow, f"u{count_in(uow, User)}@example.com")
        uow.emit(DomainEvent("test.user_added", f"user:{user.id}"))
        return user

    def add_announce_and_fail(uow: UnitOfWork) -> None:
        add_and_announce(uow)
        raise RuntimeError("changed my mind")

    with in_transaction.connected_to(open_side_account, sender="test.user_added"):
        with pytest.raises(RuntimeError):
            transaction(add_announce_and_fail)
        # Not committed: neither the user nor the handler's account exists.
        assert count(Account) == 0

        transaction(add_and_announce)
    assert count(Account) == 1


def test_a_failing_in_transaction_handler_undoes_the_whole_change():
    def refuse(_sender, *, event, uow):
        raise ValueError("not allowed")

    def work(uow: UnitOfWork) -> None:
        user = add_user(uow)
        uow.emit(DomainEvent("test.user_added", f"user:{user.id}"))

    with in_transaction.connected_to(refuse, sender="test.user_added"), pytest.raises(ValueError):
        transaction(work)
    assert count(User) == 0
    assert count(Event) == 0


def test_after_commit_subscribers_run_only_after_commit():
    seen: list[tuple[str, int]] = []

    def remember(_sender, *, event):
        # By now the change is committed: a fresh query sees it.
        seen.append((event.type, count(User)))

    def work(uow: UnitOfWork) -> None:
        user = add_user(uow)
        uow.emit(DomainEvent("test.user_added", f"user:{user.id}"))
        assert seen == []

    def work_then_fail(uow: UnitOfWork) -> None:
        work(uow)
        raise RuntimeError("rolled back")

    with after_commit.connected_to(remember, sender="test.user_added"):
        with pytest.raises(RuntimeError):
            transaction(work_then_fail)
        assert seen == []  # rolled back: never announced

        transaction(work)
    assert seen == [("test.user_added", 1)]


def test_a_failing_after_commit_subscriber_is_logged_and_never_undoes_the_commit(caplog):
    later: list[str] = []

    def broken(_sender, *, event):
        raise RuntimeError("cache is down")

    def still_runs(_sender, *, event):
        later.append(event.type)

    def work(uow: UnitOfWork) -> None:
        user = add_user(uow)
        uow.emit(DomainEvent("test.user_added", f"user:{user.id}"))

    with (
        after_commit.connected_to(broken, sender="test.user_added"),
        after_commit.connected_to(still_runs, sender="test.user_added"),
        caplog.at_level(logging.ERROR),
    ):
        transaction(work)
    assert count(User) == 1
    assert count(Event) == 1
    assert later == ["test.user_added"]
    failures = [r for r in caplog.records if r.getMessage() == "after-commit subscriber failed"]
    assert failures and failures[0].fields["eventType"] == "test.user_added"


def test_a_nested_transaction_joins_the_outer_one_which_alone_commits():
    def inner(uow: UnitOfWork) -> None:
        add_user(uow, "inner@example.com")

    def outer(uow: UnitOfWork) -> None:
        add_user(uow, "outer@example.com")
        transaction(inner)  # joined: the outer one decides
        assert count_in(uow, User) == 2
        raise RuntimeError("the outer one fails")

    with pytest.raises(RuntimeError):
        transaction(outer)
    assert count(User) == 0


def test_events_of_a_nested_transaction_are_announced_after_the_outer_commit():
    seen: list[int] = []

    def remember(_sender, *, event):
        seen.append(count(User))

    def inner(uow: UnitOfWork) -> None:
        user = add_user(uow, "inner@example.com")
        uow.emit(DomainEvent("test.user_added", f"user:{user.id}"))

    def outer(uow: UnitOfWork) -> None:
        transaction(inner)
        assert seen == []
        add_user(uow, "outer@example.com")

    with after_commit.connected_to(remember, sender="test.user_added"):
        transaction(outer)
    assert seen == [2]


def test_a_read_nested_in_a_transaction_joins_it():
    def work(uow: UnitOfWork) -> None:
        add_user(uow)
        with UnitOfWork() as read:
            assert read.users.find_by_email("u@example.com") is not None

    transaction(work)
    assert count(User) == 1


def test_a_transaction_inside_a_read_only_unit_of_work_is_refused():
    with UnitOfWork(), pytest.raises(RuntimeError, match="read-only"):
        transaction(add_user)
    assert count(User) == 0


def test_transaction_retries_a_transient_conflict(monkeypatch):
    monkeypatch.setattr(uow_module.time, "sleep", lambda _s: None)
    attempts: list[int] = []

    def work(uow: UnitOfWork) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
        add_user(uow)
        return "done"

    assert transaction(work) == "done"
    assert len(attempts) == 2
    assert count(User) == 1


def test_transaction_does_not_retry_other_errors():
    attempts: list[int] = []

    def work(uow: UnitOfWork) -> None:
        attempts.append(1)
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))

    with pytest.raises(OperationalError):
        transaction(work)
    assert len(attempts) == 1


def test_postgres_serialization_failures_are_retryable():
    class SerializationFailure(Exception):
        sqlstate = "40001"

    class Deadlock(Exception):
        sqlstate = "40P01"

    class UniqueViolation(Exception):
        sqlstate = "23505"

    assert uow_module.is_retryable(OperationalError("x", {}, SerializationFailure()))
    assert uow_module.is_retryable(OperationalError("x", {}, Deadlock()))
    assert not uow_module.is_retryable(OperationalError("x", {}, UniqueViolation()))


def test_a_transaction_takes_the_sqlite_write_lock_first(count_statements):
    db.session.rollback()
    with count_statements() as counter:
        transaction(add_user)
    if db.engine.dialect.name == "sqlite":
        assert counter.statements[0] == "BEGIN IMMEDIATE"
    else:  # PostgreSQL locks rows (SELECT … FOR UPDATE) instead of the whole database
        assert "BEGIN IMMEDIATE" not in counter.statements
    assert count(User) == 1


def test_a_read_only_unit_of_work_leaves_what_it_loaded_usable_without_sql(count_statements):
    user_id = transaction(add_user).id
    db.session.expunge_all()
    with UnitOfWork() as uow:
        user = uow.users.find_by_id(user_id)
    with count_statements() as counter:
        assert (user.email, user.roles) == ("u@example.com", ["user"])
    assert counter.count == 0


def test_a_read_only_unit_of_work_ends_its_transaction():
    with UnitOfWork() as uow:
        assert uow.users.find_by_email("nobody@example.com") is None
        assert db.session().in_transaction()
    assert not db.session().in_transaction()


def test_a_busy_database_at_begin_is_retried_and_leaves_no_half_open_unit_of_work(monkeypatch):
    monkeypatch.setattr(uow_module.time, "sleep", lambda _s: None)
    refusals: list[int] = []

    def busy_once(_connection):
        if not refusals:
            refusals.append(1)
            raise OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))

    event.listen(db.engine, "begin", busy_once)
    try:
        user = transaction(add_user)
    finally:
        event.remove(db.engine, "begin", busy_once)
    assert refusals == [1]
    assert count(User) == 1
    assert db.session.info.get(uow_module._ACTIVE_KEY) is None
    assert transaction(lambda uow: uow.users.find_by_id(user.id)).email == "u@example.com"
