"""Every service write survives one transient database conflict, and applies exactly once.

Each write below runs with one retryable failure injected into it (a busy SQLite file, a
PostgreSQL serialization failure or deadlock), raised from its first flush, its first
write statement or its commit. The write must succeed, and leave one row, one event and
one movement of money: the retry reran the whole transaction, never half of it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.support.clients import PASSWORD
from webapp.core.errors import NotFound, Unauthorized
from webapp.core.passwords import passwords
from webapp.infra.extensions import db
from webapp.models import (
    Account,
    AuthSession,
    Event,
    IdempotencyKey,
    LedgerTransaction,
    Order,
    Product,
    RefreshToken,
    User,
)
from webapp.models.base import utcnow
from webapp.services import unit_of_work as uow_module
from webapp.services.auth import AuthService, ClientInfo
from webapp.services.idempotency import IdempotencyService
from webapp.services.principal import Principal
from webapp.services.shop.catalog import CatalogService
from webapp.services.shop.orders import LineRequest, OrderService
from webapp.services.users.administration import UserAdminService
from webapp.services.users.directory import UserDirectory
from webapp.services.users.passwords import PasswordService
from webapp.services.users.profile import ProfileService
from webapp.services.users.registration import RegistrationService
from webapp.services.wallet.accounts import AccountService
from webapp.services.wallet.ledger import LedgerService

pytestmark = pytest.mark.usefixtures("app_context")

NEW_PASSWORD = "a-brand-new-passphrase"
CLIENT = ClientInfo(ip="127.0.0.1", user_agent="pytest")


class SerializationFailure(Exception):
    sqlstate = "40001"


class Deadlock(Exception):
    sqlstate = "40P01"


@dataclass
class TransientFailure:
    """Raises one retryable error at the `nth` flush, write statement or write commit."""

    where: str
    nth: int = 1
    seen: int = 0
    fired: int = 0
    armed: bool = False

    def arm(self, nth: int = 1) -> None:
        self.nth, self.seen, self.fired, self.armed = nth, 0, 0, True

    def _maybe_fail(self, statement: str, original: Exception) -> None:
        if not self.armed:
            return
        self.seen += 1
        if self.seen == self.nth:
            self.fired += 1
            raise OperationalError(statement, {}, original)

    def on_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        self._maybe_fail("FLUSH", sqlite3.OperationalError("database is locked"))

    def on_statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            self._maybe_fail(statement, Deadlock())

    def on_commit(self, session: Session) -> None:
        active = session.info.get(uow_module._ACTIVE_KEY)
        if active is not None and active.writes:
            self._maybe_fail("COMMIT", SerializationFailure())


@pytest.fixture(params=["flush", "statement", "commit"])
def failure(request, monkeypatch) -> Iterator[TransientFailure]:
    monkeypatch.setattr(uow_module.time, "sleep", lambda _seconds: None)
    injected = TransientFailure(request.param)
    hooks: list[tuple[Any, str, Callable[..., None]]] = {
        "flush": [(Session, "before_flush", injected.on_flush)],
        "statement": [(db.engine, "before_cursor_execute", injected.on_statement)],
        "commit": [(Session, "before_commit", injected.on_commit)],
    }[request.param]
    for target, name, hook in hooks:
        event.listen(target, name, hook)
    try:
        yield injected
    finally:
        for target, name, hook in hooks:
            event.remove(target, name, hook)


def count(model: type, *where: Any) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(event_type: str) -> int:
    return count(Event, Event.type == event_type)


@dataclass
class World:
    """Members, an admin, a product and money, made through the services (nothing injected)."""

    auth: AuthService = field(default_factory=AuthService)

    def member(self, email: str = "alice@example.com", name: str = "Alice") -> Principal:
        user = RegistrationService().register(email=email, password=PASSWORD, name=name)
        return self.auth.acting_as(user.id)

    def admin(self) -> Principal:
        outcome = RegistrationService().create_or_promote_admin(
            email="admin@example.com", password=PASSWORD, name="Admin"
        )
        return self.auth.acting_as(outcome.user.id)

    @staticmethod
    def main_account(owner: Principal) -> Account:
        return AccountService().all_of(owner.user_id)[0]

    def funded_member(self, amount: int = 50_00) -> tuple[Principal, Principal, Account]:
        admin, alice = self.admin(), self.member()
        account = self.main_account(alice)
        LedgerService().deposit(admin, account.id, amount=amount)
        return admin, alice, account

    @staticmethod
    def product(admin: Principal, stock: int = 10) -> int:
        return CatalogService().create(admin, sku="MUG", name="Mug", price=12_50, stock=stock).id


@pytest.fixture
def world() -> World:
    return World()


def balance(account_id: int) -> int:
    db.session.rollback()
    return db.session.get(Account, account_id).balance


# --- users --------------------------------------------------------------------------------


def test_register(world, failure):
    failure.arm()
    world.member()
    assert failure.fired == 1
    assert count(User) == 1
    assert count(Account) == 1
    assert events("user.created") == 1


def test_rename(world, failure):
    alice = world.member()
    failure.arm()
    assert ProfileService().rename(alice.user_id, "Alicia").name == "Alicia"
    assert failure.fired == 1
    assert UserDirectory().get(alice.user_id).name == "Alicia"
    assert events("user.updated") == 1


def test_change_password(world, failure):
    alice = world.member()
    world.auth.login_for_tokens("alice@example.com", PASSWORD, CLIENT)
    failure.arm()
    PasswordService().change_password(
        alice.user_id, current_password=PASSWORD, new_password=NEW_PASSWORD, keep_session_id=0
    )
    assert failure.fired == 1
    assert passwords.verify(UserDirectory().get(alice.user_id).password_hash, NEW_PASSWORD)
    assert events("user.password_changed") == 1
    assert count(AuthSession, AuthSession.revoked_at.is_(None)) == 0


def test_update_self(world, failure):
    alice = world.member()
    failure.arm()
    user = ProfileService().update_self(
        alice, name="Alicia", current_password=PASSWORD, new_password=NEW_PASSWORD
    )
    assert failure.fired == 1
    assert user.name == "Alicia"
    assert passwords.verify(UserDirectory().get(alice.user_id).password_hash, NEW_PASSWORD)
    assert (events("user.password_changed"), events("user.updated")) == (1, 1)


def test_update_by_admin(world, failure):
    admin, alice = world.admin(), world.member()
    failure.arm()
    UserAdminService().update_by_admin(
        admin.user_id, alice.user_id, roles=["admin", "user"], name="Al"
    )
    assert failure.fired == 1
    assert UserDirectory().get(alice.user_id).has_role("admin")
    assert events("user.updated") == 2  # the admin's promotion, then this change


def test_create_or_promote_admin_creates(world, failure):
    failure.arm()
    outcome = RegistrationService().create_or_promote_admin(
        email="admin@example.com", password=PASSWORD, name="Admin"
    )
    assert failure.fired == 1
    assert (outcome.created, outcome.promoted) == (True, True)
    assert count(User) == 1
    assert UserDirectory().get(outcome.user.id).has_role("admin")
    assert (events("user.created"), events("user.updated")) == (1, 1)


def test_create_or_promote_admin_promotes(world, failure):
    alice = world.member()
    failure.arm()
    outcome = RegistrationService().create_or_promote_admin(
        email="alice@example.com", password=PASSWORD, name="Alice"
    )
    assert failure.fired == 1
    assert (outcome.created, outcome.promoted) == (False, True)
    assert UserDirectory().get(alice.user_id).has_role("admin")
    assert events("user.updated") == 1


# --- sessions -----------------------------------------------------------------------------


def test_login_browser(world, failure):
    world.member()
    failure.arm()
    session = world.auth.login_browser("alice@example.com", PASSWORD, CLIENT)
    assert failure.fired == 1
    assert count(AuthSession) == 1
    assert db.session.get(AuthSession, session.id) is not None
    assert events("user.login") == 1


def test_login_for_tokens(world, failure):
    alice = world.member()
    failure.arm()
    pair = world.auth.login_for_tokens("alice@example.com", PASSWORD, CLIENT)
    assert failure.fired == 1
    assert (count(AuthSession), count(RefreshToken)) == (1, 1)
    assert world.auth.principal_for_access_token(pair.access_token).user_id == alice.user_id
    assert events("user.login") == 1


def test_failed_login(world, failure):
    world.member()
    failure.arm()
    with pytest.raises(Unauthorized):
        world.auth.login_for_tokens("alice@example.com", "not-the-password", CLIENT)
    assert failure.fired == 1
    assert (count(AuthSession), events("user.login_failed")) == (0, 1)


def test_refresh(world, failure):
    world.member()
    first = world.auth.login_for_tokens("alice@example.com", PASSWORD, CLIENT)
    failure.arm()
    second = world.auth.refresh(first.refresh_token)
    assert failure.fired == 1
    assert count(RefreshToken) == 2
    assert count(RefreshToken, RefreshToken.revoked_at.is_(None)) == 1
    assert world.auth.refresh(second.refresh_token).access_token  # the new one is live


def test_logout(world, failure):
    world.member()
    pair = world.auth.login_for_tokens("alice@example.com", PASSWORD, CLIENT)
    failure.arm()
    world.auth.logout(pair.refresh_token)
    assert failure.fired == 1
    assert count(AuthSession, AuthSession.revoked_at.is_(None)) == 0
    assert events("user.logout") == 1


def test_logout_session(world, failure):
    alice = world.member()
    session = world.auth.login_browser("alice@example.com", PASSWORD, CLIENT)
    failure.arm()
    world.auth.logout_session(alice.user_id, session.id)
    assert failure.fired == 1
    assert count(AuthSession, AuthSession.revoked_at.is_(None)) == 0
    assert events("user.logout") == 1


def test_logout_everywhere(world, failure):
    alice = world.member()
    world.auth.login_browser("alice@example.com", PASSWORD, CLIENT)
    world.auth.login_for_tokens("alice@example.com", PASSWORD, CLIENT)
    failure.arm()
    world.auth.logout_everywhere(alice.user_id)
    assert failure.fired == 1
    assert count(AuthSession, AuthSession.revoked_at.is_(None)) == 0
    assert events("user.sessions_revoked") == 1


def test_touch_session(world, failure):
    world.member()
    session_id = world.auth.login_browser("alice@example.com", PASSWORD, CLIENT).id
    long_ago = utcnow().replace(year=2000)
    db.session.execute(update(AuthSession).values(last_used_at=long_ago))
    db.session.commit()
    failure.arm()
    world.auth.touch_session(session_id)
    assert failure.fired == 1
    db.session.rollback()
    assert db.session.get(AuthSession, session_id).last_used_at.year > 2000


# --- accounts and the catalog ---------------------------------------------------------------


def test_open_account(world, failure):
    alice = world.member()
    failure.arm()
    AccountService().open(alice, name="Savings")
    assert failure.fired == 1
    assert count(Account, Account.user_id == alice.user_id) == 2
    assert events("account.opened") == 1


def test_create_product(world, failure):
    admin = world.admin()
    failure.arm()
    world.product(admin)
    assert failure.fired == 1
    assert count(Product) == 1
    assert events("product.created") == 1


def test_update_product(world, failure):
    admin = world.admin()
    product_id = world.product(admin)
    failure.arm()
    record = CatalogService().update(admin, product_id, name="Big mug", stock=3)
    assert failure.fired == 1
    assert (record.name, record.stock) == ("Big mug", 3)
    assert CatalogService().get(product_id).name == "Big mug"
    assert events("product.updated") == 1


def test_archive_product(world, failure):
    admin = world.admin()
    product_id = world.product(admin)
    failure.arm()
    CatalogService().archive(admin, product_id)
    assert failure.fired == 1
    assert count(Product, Product.is_active.is_(False)) == 1
    assert events("product.archived") == 1


# --- money ----------------------------------------------------------------------------------


def test_deposit(world, failure):
    admin, alice = world.admin(), world.member()
    account = world.main_account(alice)
    failure.arm()
    LedgerService().deposit(admin, account.id, amount=10_00)
    assert failure.fired == 1
    assert balance(account.id) == 10_00
    assert count(LedgerTransaction) == 1
    assert events("deposit.completed") == 1


def test_transfer(world, failure):
    _admin, alice, source = world.funded_member()
    target = world.main_account(world.member("bob@example.com", "Bob"))
    failure.arm()
    LedgerService().transfer(alice, from_account_id=source.id, to_account_id=target.id, amount=7_00)
    assert failure.fired == 1
    assert (balance(source.id), balance(target.id)) == (43_00, 7_00)
    assert events("transfer.completed") == 1


def test_place_order(world, failure):
    admin, alice, account = world.funded_member()
    product_id = world.product(admin)
    failure.arm()
    OrderService().place(alice, account_id=account.id, lines=[LineRequest(product_id, 2)])
    assert failure.fired == 1
    assert count(Order) == 1
    assert balance(account.id) == 50_00 - 25_00
    assert db.session.get(Product, product_id).stock == 8
    assert events("order.placed") == 1


def test_cancel_order(world, failure):
    admin, alice, account = world.funded_member()
    product_id = world.product(admin)
    order = OrderService().place(alice, account_id=account.id, lines=[LineRequest(product_id, 2)])
    failure.arm()
    OrderService().cancel(alice, order.id)
    assert failure.fired == 1
    assert balance(account.id) == 50_00
    assert db.session.get(Product, product_id).stock == 10
    assert events("order.cancelled") == 1


# --- idempotency: the reservation, the stored answer, the release ----------------------------


def keyed_deposit(admin: Principal, account_id: int) -> Callable[[], tuple[int, Any]]:
    def produce() -> tuple[int, Any]:
        record = LedgerService().deposit(admin, account_id, amount=10_00)
        return 201, {"id": str(record.id)}

    return produce


@pytest.mark.parametrize(("step", "nth"), [("the deposit", 1), ("the stored answer", 2)])
def test_idempotent_request(world, failure, step, nth):
    admin, alice = world.admin(), world.member()
    account = world.main_account(alice)
    failure.arm(nth)
    outcome = IdempotencyService().run(
        admin.user_id, "key-1", "fingerprint", keyed_deposit(admin, account.id)
    )
    assert failure.fired == 1, step
    assert outcome.replayed is False
    assert count(LedgerTransaction) == 1
    assert balance(account.id) == 10_00
    stored = db.session.scalar(select(IdempotencyKey))
    assert (stored.response_status, stored.response_body) == (201, outcome.data)
    replay = IdempotencyService().run(
        admin.user_id, "key-1", "fingerprint", keyed_deposit(admin, account.id)
    )
    assert (replay.replayed, replay.data) == (True, outcome.data)
    assert count(LedgerTransaction) == 1


def test_idempotent_request_that_fails_stores_nothing_and_keeps_its_key_free(world, failure):
    admin, alice = world.admin(), world.member()
    account = world.main_account(alice)

    def produce() -> tuple[int, Any]:
        raise NotFound("No such account.")

    with pytest.raises(NotFound):
        IdempotencyService().run(admin.user_id, "key-1", "fingerprint", produce)
    assert count(IdempotencyKey) == 0
    failure.arm(1)
    outcome = IdempotencyService().run(
        admin.user_id, "key-1", "fingerprint", keyed_deposit(admin, account.id)
    )
    assert failure.fired == 1
    assert outcome.replayed is False
    assert count(IdempotencyKey) == 1
