"""User administration under concurrency: two admins removing each other at the same moment
(demoting or deactivating) leave one active admin, round after round."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.support.clients import bearer
from tests.support.concurrency import run_in_threads
from webapp.core.errors import Conflict
from webapp.infra.extensions import db
from webapp.models import User, UserRole
from webapp.models.user import ROLE_ADMIN, ROLE_USER
from webapp.services.users.administration import LAST_ADMIN, UserAdminService

ROUNDS = 10
DEMOTE: dict[str, Any] = {"roles": [ROLE_USER]}
DEACTIVATE: dict[str, Any] = {"is_active": False}
RESTORE: dict[str, Any] = {"roles": [ROLE_ADMIN, ROLE_USER], "is_active": True}
Move = tuple[int, int, dict[str, Any]]  # (actor id, target id, the change)


def active_admin_ids(app: Flask) -> set[int]:
    with app.app_context():
        statement = (
            select(User.id).join(UserRole).where(User.is_active, UserRole.role == ROLE_ADMIN)
        )
        return set(db.session.scalars(statement))


@pytest.fixture
def ann_and_bob(make_admin) -> list[int]:
    """Two admins, the only ones: [Ann's id, Bob's id]."""
    return [make_admin("ann@example.com", "Ann"), make_admin("bob@example.com", "Bob")]


def removals_at_once(app: Flask, moves: list[Move]) -> tuple[list[int], list[Conflict]]:
    """Each (actor, target, change) in a thread of its own, all at once: (the targets
    changed, the refusals)."""
    done: list[int] = []
    refused: list[Conflict] = []

    def remove(index: int) -> None:
        actor, target, change = moves[index]
        with app.app_context():
            try:
                UserAdminService().update_by_admin(actor, target, **change)
            except Conflict as error:
                refused.append(error)
            else:
                done.append(target)

    run_in_threads(len(moves), remove)
    return done, refused


@pytest.mark.parametrize(
    ("ann_does", "bob_does"),
    [(DEMOTE, DEMOTE), (DEACTIVATE, DEACTIVATE), (DEMOTE, DEACTIVATE)],
    ids=["demote-demote", "deactivate-deactivate", "demote-deactivate"],
)
def test_two_admins_removing_each_other_at_once_leave_one_active_admin(
    app, ann_and_bob, ann_does: dict[str, Any], bob_does: dict[str, Any]
):
    ann, bob = ann_and_bob
    for _ in range(ROUNDS):
        done, refused = removals_at_once(app, [(ann, bob, ann_does), (bob, ann, bob_does)])

        survivors = active_admin_ids(app)
        assert (len(done), len(refused), len(survivors)) == (1, 1, 1)  # (done, refused, admins)
        assert survivors == {ann, bob} - set(done)
        assert refused[0].message == LAST_ADMIN
        with app.app_context():
            UserAdminService().update_by_admin(survivors.pop(), done[0], **RESTORE)


def test_two_admins_demoting_each_other_through_the_api_leave_one_admin(
    app, client, ann_and_bob, login
):
    headers = [bearer(login(email)) for email in ("ann@example.com", "bob@example.com")]

    def demotions_at_once() -> list[int]:
        statuses: list[int] = []

        def demote_the_other(index: int) -> None:
            other = ann_and_bob[1 - index]
            response = app.test_client().patch(
                f"/api/v1/users/{other}", json={"roles": [ROLE_USER]}, headers=headers[index]
            )
            statuses.append(response.status_code)

        run_in_threads(2, demote_the_other)
        return sorted(statuses)

    for _ in range(ROUNDS):
        statuses = demotions_at_once()

        survivors = active_admin_ids(app)
        # The other is refused: 409 if it was already past the role check, 403 if it came after.
        assert len(survivors) == 1 and statuses in ([200, 403], [200, 409]), statuses
        survivor = ann_and_bob.index(survivors.pop())
        response = client.patch(
            f"/api/v1/users/{ann_and_bob[1 - survivor]}",
            json={"roles": [ROLE_ADMIN, ROLE_USER]},
            headers=headers[survivor],
        )
        assert response.status_code == 200
