"""The unit of work and the event bus: commit, rollback, and the two phases of handlers."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from webapp.extensions import db
from webapp.models import Account, Event, User
from webapp.models.user import ROLE_USER, UserRole
from webapp.services import unit_of_work as uow_module
from webapp.services.events import DomainEvent, after_commit, in_transaction
from webapp.services.unit_of_work import UnitOfWork, transaction

pytestmark = pytest.mark.usefixtures("app_context")


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def add_user(uow: UnitOfWork, email: str = "u@example.com") -> User:
    return uow.users.create(
        email=email, name="U", password_hash="x", role_rows=[UserRole(role=ROLE_USER)]
    )


def test_commit_keeps_the_change_and_the_audit_row():
    with UnitOfWork() as uow:
        user = add_user(uow)
        uow.emit(DomainEvent("test.happened", f"user:{user.id}", {"n": 1}, actor_id=user.id))
        uow.commit()
    assert count(User) == 1
    event = db.session.scalar(select(Event))
    assert (event.type, event.subject, event.data, event.actor_id) == (
        "test.happened",
        f"user:{user.id}",
        {"n": 1},
        user.id,
    )


def test_leaving_without_commit_rolls_back_the_change_and_the_event():
    with UnitOfWork() as uow:
        user = add_user(uow)
        uow.emit(DomainEvent("test.happened", f"user:{user.id}"))
    assert count(User) == 0
    assert count(Event) == 0


def test_an_exception_rolls_back():
    with pytest.raises(RuntimeError), UnitOfWork() as uow:
        add_user(uow)
        raise RuntimeError("boom")
    assert count(User) == 0


def test_in_transaction_handlers_run_inside_the_same_transaction():
    def open_side_account(_sender, *, event, uow):
        user_id = int(event.subject.split(":")[1])
        uow.accounts.create(user_id=user_id, name="Side")

    with in_transaction.connected_to(open_side_account, sender="test.user_added"):
        with UnitOfWork() as uow:
            user = add_user(uow)
            uow.emit(DomainEvent("test.user_added", f"user:{user.id}"))
        # Not committed: neither the user nor the handler's account exists.
        assert count(Account) == 0

        with UnitOfWork() as uow:
            user = add_user(uow)
            uow.emit(DomainEvent("test.user_added", f"user:{user.id}"))
            uow.commit()
    assert count(Account) == 1


def test_a_failing_in_transaction_handler_undoes_the_whole_change():
    def refuse(_sender, *, event, uow):
        raise ValueError("not allowed")

    with (
        in_transaction.connected_to(refuse, sender="test.user_added"),
        pytest.raises(ValueError),
        UnitOfWork() as uow,
    ):
        user = add_user(uow)
        uow.emit(DomainEvent("test.user_added", f"user:{user.id}"))
        uow.commit()
    assert count(User) == 0
    assert count(Event) == 0


def test_after_commit_subscribers_run_only_after_commit():
    seen: list[tuple[str, int]] = []

    def remember(_sender, *, event):
        # By now the change is committed: a fresh query sees it.
        seen.append((event.type, count(User)))

    with after_commit.connected_to(remember, sender="test.user_added"):
        with UnitOfWork() as uow:
            user = add_user(uow)
            uow.emit(DomainEvent("test.user_added", f"user:{user.id}"))
            assert seen == []
        assert seen == []  # rolled back: never announced

        with UnitOfWork() as uow:
            user = add_user(uow)
            uow.emit(DomainEvent("test.user_added", f"user:{user.id}"))
            assert seen == []
            uow.commit()
    assert seen == [("test.user_added", 1)]


def test_a_failing_after_commit_subscriber_is_logged_and_never_undoes_the_commit(caplog):
    later: list[str] = []

    def broken(_sender, *, event):
        raise RuntimeError("cache is down")

    def still_runs(_sender, *, event):
        later.append(event.type)

    with (
        after_commit.connected_to(broken, sender="test.user_added"),
        after_commit.connected_to(still_runs, sender="test.user_added"),
        caplog.at_level(logging.ERROR),
        UnitOfWork() as uow,
    ):
        user = add_user(uow)
        uow.emit(DomainEvent("test.user_added", f"user:{user.id}"))
        uow.commit()
    assert count(User) == 1
    assert count(Event) == 1
    assert later == ["test.user_added"]
    failures = [r for r in caplog.records if r.getMessage() == "after-commit subscriber failed"]
    assert failures and failures[0].fields["eventType"] == "test.user_added"


def test_a_nested_unit_of_work_joins_the_outer_one():
    with UnitOfWork() as outer:
        add_user(outer, "outer@example.com")
        with UnitOfWork() as inner:
            add_user(inner, "inner@example.com")
            inner.commit()  # joined: the outer one decides
        # The outer one leaves without committing: both are gone.
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

    assert transaction(work, write_lock=True) == "done"
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


def test_a_write_locked_unit_of_work_takes_the_sqlite_write_lock_first(count_statements):
    db.session.rollback()
    with count_statements() as counter, UnitOfWork(write_lock=True) as uow:
        add_user(uow)
        uow.commit()
    if db.engine.dialect.name == "sqlite":
        assert counter.statements[0] == "BEGIN IMMEDIATE"
    else:  # PostgreSQL locks rows (SELECT … FOR UPDATE) instead of the whole database
        assert "BEGIN IMMEDIATE" not in counter.statements
    assert count(User) == 1


def test_a_read_only_unit_of_work_leaves_what_it_loaded_usable_without_sql(count_statements):
    with UnitOfWork() as uow:
        user_id = add_user(uow).id
        uow.commit()
    db.session.expunge_all()
    with UnitOfWork() as uow:
        user = uow.users.find_by_id(user_id)
    with count_statements() as counter:
        assert (user.email, user.roles) == ("u@example.com", ["user"])
    assert counter.count == 0


def test_a_forgotten_commit_after_a_flush_still_rolls_back():
    with UnitOfWork() as uow:
        add_user(uow)  # flushed, never committed
    assert count(User) == 0
