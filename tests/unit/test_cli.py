"""Operator commands: create-admin and seed-demo are idempotent and go through the services."""

from __future__ import annotations

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Account, Event, User


def users(app) -> dict[str, list[str]]:
    with app.app_context():
        return {u.email: u.roles for u in db.session.scalars(select(User))}


def test_create_admin_creates_then_does_nothing(app, runner):
    args = ["create-admin", "--email", "Boss@Example.com", "--password", "a-long-password"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "Created administrator boss@example.com" in first.output
    second = runner.invoke(args=args)
    assert second.exit_code == 0
    assert "already an administrator" in second.output
    assert users(app) == {"boss@example.com": ["admin", "user"]}


def test_create_admin_promotes_an_existing_member(app, runner, register):
    register("member@example.com")
    result = runner.invoke(
        args=["create-admin", "--email", "member@example.com", "--password", "whatever-else"]
    )
    assert result.exit_code == 0, result.output
    assert "Promoted member@example.com" in result.output
    assert users(app) == {"member@example.com": ["admin", "user"]}
    with app.app_context():
        types = db.session.scalars(select(Event.type).order_by(Event.id)).all()
        assert types == ["user.created", "user.updated"]


def test_create_admin_reports_bad_input_without_a_trace(app, runner):
    result = runner.invoke(args=["create-admin", "--email", "nope", "--password", "short"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert users(app) == {}


def test_seed_demo_is_idempotent_and_shows_progress(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "[1/4]" in first.output and "created" in first.output
    snapshot = users(app)
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "already there" in second.output
    assert users(app) == snapshot
    assert sum("admin" in roles for roles in snapshot.values()) == 1
    assert len(snapshot) == 4
    with app.app_context():
        # Seeded through the services: every member has "Main", every creation an event.
        assert db.session.scalar(select(func.count()).select_from(Account)) == 4
        assert (
            db.session.scalar(
                select(func.count()).select_from(Event).where(Event.type == "user.created")
            )
            == 4
        )
