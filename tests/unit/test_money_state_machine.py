"""Money is conserved whatever members and admins do, in whatever order (hypothesis).

A state machine of deposits, transfers, orders and cancels against the services, with the
refused ones mixed in (overdrafts, self-transfers, someone else's account, out of stock,
cancelling twice, cancelling someone else's order): a refused operation changes nothing.
After every step, read straight from the tables:

- every account's balance is the sum of its ledger entries, and every ledger transaction's
  entries sum to zero;
- no member's balance is below zero, and each is what the model expects;
- members hold exactly deposits - sales + refunds;
- every product's stock is its initial stock - sold + restored;
- and only the operations that succeeded wrote a ledger transaction or an order.

Each example starts from empty tables on the one app of the test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import reset_database
from flask import Flask
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from tests.support.clients import PASSWORD
from webapp.core.errors import (
    AppError,
    Conflict,
    InsufficientFunds,
    NotFound,
    OutOfStock,
    ValidationError,
)
from webapp.infra.extensions import cache, db
from webapp.models import Account, LedgerEntry, LedgerTransaction, Order, Product
from webapp.models.account import KIND_MEMBER
from webapp.models.order import STATUS_CANCELLED, STATUS_PAID
from webapp.services.auth import AuthService
from webapp.services.principal import Principal
from webapp.services.shop.catalog import CatalogService
from webapp.services.shop.orders import LineRequest, OrderService
from webapp.services.users.registration import RegistrationService
from webapp.services.wallet.accounts import AccountService
from webapp.services.wallet.ledger import LedgerService

MEMBERS = 3
PRODUCTS = 3

members = st.integers(0, MEMBERS - 1)
products = st.integers(0, PRODUCTS - 1)
# Who acts on a member's account: mostly its owner, sometimes another member (refused).
actors = st.sampled_from(["owner", "owner", "owner", "another member"])


@dataclass
class PlacedOrder:
    buyer: int
    account_id: int
    total: int
    lines: dict[int, int]  # product id → quantity
    status: str = STATUS_PAID


def attempt(refusals: set[type[AppError]], call: Callable[[], Any]) -> Any:
    """Run `call`: it must succeed when nothing refuses it, else raise one of `refusals`.

    When several reasons apply, whichever the service checks first may answer.
    """
    if not refusals:
        return call()
    with pytest.raises(AppError) as raised:
        call()
    assert type(raised.value) in refusals, (type(raised.value), refusals)
    return None


class MoneyMachine(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.context = app.app_context()
        self.context.push()
        reset_database(app)
        cache.clear()  # ids are handed out again: no cached record may outlive its row
        admin_id = (
            RegistrationService()
            .create_or_promote_admin(email="admin@example.com", password=PASSWORD, name="Admin")
            .user.id
        )
        member_ids = [
            RegistrationService()
            .register(email=f"m{n}@example.com", password=PASSWORD, name=f"M{n}")
            .id
            for n in range(MEMBERS)
        ]
        auth = AuthService()
        self.admin = auth.acting_as(admin_id)
        self.members = [auth.acting_as(user_id) for user_id in member_ids]
        # Each member's Main; the admin's Main holds nothing, and must go on holding nothing.
        main = {uid: AccountService().all_of(uid)[0].id for uid in [admin_id, *member_ids]}
        self.accounts = [main[user_id] for user_id in member_ids]
        self.balances = dict.fromkeys(main.values(), 0)
        self.deposited = self.sold_for = self.refunded = 0
        self.movements = 0  # ledger transactions written
        self.placed: dict[int, PlacedOrder] = {}
        self.product_ids: list[int] = []
        self.prices: dict[int, int] = {}
        self.initial_stock: dict[int, int] = {}
        self.sold: Counter[int] = Counter()
        self.restored: Counter[int] = Counter()

    def teardown(self) -> None:
        self.context.pop()

    # --- the world ---------------------------------------------------------------------

    @initialize(
        catalog=st.lists(
            st.tuples(st.integers(1, 1_500), st.integers(0, 12)),
            min_size=PRODUCTS,
            max_size=PRODUCTS,
        ),
        funds=st.lists(st.integers(0, 20_000), min_size=MEMBERS, max_size=MEMBERS),
    )
    def open_the_shop(self, catalog: list[tuple[int, int]], funds: list[int]) -> None:
        for n, (price, stock) in enumerate(catalog):
            product = CatalogService().create(
                self.admin, sku=f"P{n}", name=f"Product {n}", price=price, stock=stock
            )
            self.product_ids.append(product.id)
            self.prices[product.id] = price
            self.initial_stock[product.id] = stock
        for member, amount in enumerate(funds):
            if amount:
                self.deposit(member, amount)

    def acting_for(self, member: int, by: str) -> Principal:
        return self.members[member if by == "owner" else (member + 1) % MEMBERS]

    def stock(self, product_id: int) -> int:
        return self.initial_stock[product_id] - self.sold[product_id] + self.restored[product_id]

    # --- what people do ----------------------------------------------------------------

    @rule(member=members, amount=st.integers(1, 10_000))
    def deposit(self, member: int, amount: int) -> None:
        account_id = self.accounts[member]
        LedgerService().deposit(self.admin, account_id, amount=amount)
        self.balances[account_id] += amount
        self.deposited += amount
        self.movements += 1

    @rule(source=members, recipient=members, by=actors, amount=st.integers(1, 8_000))
    def transfer(self, source: int, recipient: int, by: str, amount: int) -> None:
        from_id, to_id = self.accounts[source], self.accounts[recipient]
        refusals: set[type[AppError]] = set()
        if from_id == to_id:
            refusals.add(ValidationError)
        if by != "owner":
            refusals.add(NotFound)
        if self.balances[from_id] < amount:
            refusals.add(InsufficientFunds)
        done = attempt(
            refusals,
            lambda: LedgerService().transfer(
                self.acting_for(source, by),
                from_account_id=from_id,
                to_account_id=to_id,
                amount=amount,
            ),
        )
        if done is not None:
            self.balances[from_id] -= amount
            self.balances[to_id] += amount
            self.movements += 1

    @rule(
        target=orders,
        payer=members,
        by=actors,
        lines=st.lists(
            st.tuples(products, st.integers(1, 3)),
            min_size=1,
            max_size=PRODUCTS,
            unique_by=lambda line: line[0],
        ),
    )
    def place_order(self, payer: int, by: str, lines: list[tuple[int, int]]) -> Any:
        account_id = self.accounts[payer]
        wanted = {self.product_ids[index]: quantity for index, quantity in lines}
        total = sum(self.prices[pid] * quantity for pid, quantity in wanted.items())
        refusals: set[type[AppError]] = set()
        if by != "owner":
            refusals.add(NotFound)
        if any(self.stock(pid) < quantity for pid, quantity in wanted.items()):
            refusals.add(OutOfStock)
        if self.balances[account_id] < total:
            refusals.add(InsufficientFunds)
        order = attempt(
            refusals,
            lambda: OrderService().place(
                self.acting_for(payer, by),
                account_id=account_id,
                lines=[LineRequest(pid, quantity) for pid, quantity in wanted.items()],
            ),
        )
        if order is None:
            return multiple()
        assert order.total == total
        self.balances[account_id] -= total
        self.sold_for += total
        self.sold.update(wanted)
        self.movements += 1
        self.placed[order.id] = PlacedOrder(payer, account_id, total, wanted)
        return order.id

    @rule(order_id=orders, by=st.sampled_from(["owner", "admin", "another member"]))
    def cancel(self, order_id: int, by: str) -> None:
        placed = self.placed[order_id]
        actor = self.admin if by == "admin" else self.acting_for(placed.buyer, by)
        refusals: set[type[AppError]] = set()
        if by == "another member":
            refusals.add(NotFound)
        if placed.status != STATUS_PAID:
            refusals.add(Conflict)
        if attempt(refusals, lambda: OrderService().cancel(actor, order_id)) is None:
            return
        placed.status = STATUS_CANCELLED
        self.balances[placed.account_id] += placed.total
        self.refunded += placed.total
        self.restored.update(placed.lines)
        self.movements += 1

    # --- what always holds -------------------------------------------------------------

    @invariant()
    def every_balance_is_the_sum_of_its_entries(self) -> None:
        with db.engine.connect() as connection:
            rows = connection.execute(
                select(Account.id, Account.balance, func.coalesce(func.sum(LedgerEntry.amount), 0))
                .outerjoin(LedgerEntry, LedgerEntry.account_id == Account.id)
                .group_by(Account.id, Account.balance)
            ).all()
        assert [(a, b) for a, b, entries in rows if b != entries] == []

    @invariant()
    def every_transaction_balances(self) -> None:
        with db.engine.connect() as connection:
            unbalanced = connection.execute(
                select(LedgerEntry.transaction_id)
                .group_by(LedgerEntry.transaction_id)
                .having(func.sum(LedgerEntry.amount) != 0)
            ).all()
            transactions = connection.scalar(select(func.count()).select_from(LedgerTransaction))
        assert unbalanced == []
        assert transactions == self.movements  # a refused operation wrote nothing

    @invariant()
    def members_hold_deposits_less_sales_plus_refunds(self) -> None:
        with db.engine.connect() as connection:
            held = dict(
                connection.execute(
                    select(Account.id, Account.balance).where(Account.kind == KIND_MEMBER)
                ).all()
            )
        assert min(held.values()) >= 0
        assert held == self.balances
        assert sum(held.values()) == self.deposited - self.sold_for + self.refunded

    @invariant()
    def stock_is_initial_less_sold_plus_restored(self) -> None:
        with db.engine.connect() as connection:
            stock = dict(connection.execute(select(Product.id, Product.stock)).all())
            statuses = dict(connection.execute(select(Order.id, Order.status)).all())
        assert stock == {pid: self.stock(pid) for pid in self.product_ids}
        assert min(stock.values(), default=0) >= 0
        assert statuses == {order_id: p.status for order_id, p in self.placed.items()}


def test_money_and_stock_are_conserved_whatever_happens(app):
    run_state_machine_as_test(
        lambda: MoneyMachine(app),
        settings=settings(max_examples=50, stateful_step_count=30),
    )
