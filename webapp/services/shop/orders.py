"""Orders: paying for products from a wallet, and cancelling for a refund.

Placing an order is one transaction: lock the paying account (and the shop's sales
account) and then the products, all in ascending id order, check stock and funds,
take the stock, debit the account through the ledger (`order_payment`), and write the
order with snapshots of what was bought. Cancelling reverses it in one transaction:
the order row is locked first, so an order is refunded once however many cancels race.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from webapp.core.errors import (
    AppError,
    CartChanged,
    Conflict,
    CurrencyMismatch,
    InsufficientFunds,
    NotFound,
    OutOfStock,
    ValidationError,
)
from webapp.core.money import MAX_AMOUNT
from webapp.models import Order, OrderItem
from webapp.models.account import KIND_MEMBER
from webapp.models.base import utcnow
from webapp.models.ledger import TX_ORDER_PAYMENT, TX_REFUND
from webapp.models.order import (
    MAX_ITEMS_PER_ORDER,
    MAX_QUANTITY,
    ORDER_STATUSES,
    STATUS_CANCELLED,
    STATUS_PAID,
)
from webapp.repositories.keyset import Page
from webapp.services.email_verification import require_verified_email
from webapp.services.events import DomainEvent, subject
from webapp.services.idempotency import IdempotencyService
from webapp.services.principal import Principal
from webapp.services.shop.cart_quantity import cart_changed
from webapp.services.shop.catalog import CatalogService, ProductRecord
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.user_rows import Person, load_people

SALES_ACCOUNT = "Shop sales"  # the system account that order payments go to


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: int


QUANTITY_OUT_OF_RANGE = f"The quantity must be between 1 and {MAX_QUANTITY}."


class Orderable(Protocol):
    """What the rules of an order read of a product: a locked row, or a record from the cache."""

    @property
    def sku(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def stock(self) -> int: ...
    @property
    def is_active(self) -> bool: ...


def line_count_refusal(count: int) -> ValidationError | None:
    """The refusal of an order of `count` lines, if it is refused."""
    if not 1 <= count <= MAX_ITEMS_PER_ORDER:
        return ValidationError(
            details={"items": f"An order must hold 1 to {MAX_ITEMS_PER_ORDER} lines."}
        )
    return None


def quantity_problem(quantity: int) -> str | None:
    return None if 1 <= quantity <= MAX_QUANTITY else QUANTITY_OUT_OF_RANGE


def line_refusal(
    index: int, product: Orderable | None, quantity: int, currency: str | None = None
) -> AppError | None:
    """What place() raises for line `index` of an order (`quantity` of `product`, paid from
    an account in `currency`), or None when the line may be ordered. Without a currency (no
    account chosen yet) the currency is not checked."""
    field = f"items.{index}.product_id"
    if product is None:
        return NotFound("No such product.", details={field: "No product has this id."})
    if not product.is_active:
        return ValidationError(details={field: f"The product {product.sku} is no longer sold."})
    if problem := quantity_problem(quantity):
        return ValidationError(details={f"items.{index}.quantity": problem})
    if currency is not None and product.currency != currency:
        return CurrencyMismatch(
            f"The product {product.sku} is priced in {product.currency};"
            f" the account holds {currency}."
        )
    if product.stock < quantity:
        return OutOfStock(
            f"Not enough {product.name} in stock.",
            details={field: f"The shop has only {product.stock} of {product.sku} in stock."},
        )
    return None


def shown_as(refusal: AppError | None) -> str | None:
    """A refusal as a cart shows it: its one detail, or its message."""
    if refusal is None:
        return None
    return next(iter((refusal.details or {}).values()), refusal.message)


@dataclass(frozen=True)
class LineCheck:
    """A cart line as an order would take it now: the product as the catalog has it (None
    when it is gone) and, when the line would be refused, what place() would raise."""

    product_id: int
    quantity: int
    product: ProductRecord | None
    refusal: AppError | None

    @property
    def sold(self) -> bool:
        return self.product is not None and self.product.is_active

    @property
    def problem(self) -> str | None:
        return shown_as(self.refusal)

    @property
    def line_total(self) -> int:
        return self.product.price * self.quantity if self.product is not None else 0


@dataclass(frozen=True)
class CartCheck:
    lines: list[LineCheck]
    refusal: ValidationError | None  # of the cart as a whole: how many lines it holds

    def line(self, product_id: int) -> LineCheck:
        return next(line for line in self.lines if line.product_id == product_id)

    @property
    def problem(self) -> str | None:
        return shown_as(self.refusal)

    @property
    def totals(self) -> dict[str, int]:
        """What the lines still sold cost, per currency."""
        totals: dict[str, int] = {}
        for line in self.lines:
            if line.sold and line.product is not None:
                currency = line.product.currency
                totals[currency] = totals.get(currency, 0) + line.line_total
        return totals


def check_lines(lines: list[LineRequest]) -> None:
    if refusal := line_count_refusal(len(lines)):
        raise refusal
    problems: dict[str, str] = {}
    seen: set[int] = set()
    for index, line in enumerate(lines):
        if problem := quantity_problem(line.quantity):
            problems[f"items.{index}.quantity"] = problem
        if line.product_id in seen:
            problems[f"items.{index}.product_id"] = (
                "This product appears twice in the order. Order it once with its total."
            )
        seen.add(line.product_id)
    if problems:
        raise ValidationError(details=problems)


@dataclass(frozen=True)
class CheckedOut:
    """A checkout's answer: the order, and whether an earlier send of the same form placed it."""

    order: Order
    replayed: bool


def checkout_fingerprint(shown: list[LineRequest], account_id: int) -> str:
    """What "the same checkout form" means: the cart as shown, paid from the same account."""
    snapshot = ",".join(f"{line.product_id}:{line.quantity}" for line in shown)
    return hashlib.sha256(f"checkout\n{snapshot}\n{account_id}".encode()).hexdigest()


@dataclass(frozen=True)
class OrderListing:
    """A page of everyone's orders for admins, with each buyer by name and email."""

    page: Page[Order]
    buyers: dict[int, Person]


def visible_order(viewer: Principal, order: Order | None) -> Order:
    if order is None or not viewer.may_act_for(order.user_id):
        raise NotFound("No such order.")
    return order


class OrderService:
    def place(self, buyer: Principal, *, account_id: int, lines: list[LineRequest]) -> Order:
        require_verified_email(buyer)
        check_lines(lines)

        def work(uow: UnitOfWork) -> Order:
            account = uow.accounts.find_by_id(account_id)
            if account is None or account.kind != KIND_MEMBER or account.user_id != buyer.user_id:
                raise NotFound(
                    "No such account.",
                    details={"account_id": "You have no account with this number."},
                )
            sales = uow.accounts.system_account(SALES_ACCOUNT, account.currency)
            locked = uow.accounts.lock_for_update([account.id, sales.id])
            account, sales = locked[account.id], locked[sales.id]
            products = uow.products.lock_for_update(line.product_id for line in lines)

            items: list[OrderItem] = []
            for index, line in enumerate(lines):
                product = products.get(line.product_id)
                if refusal := line_refusal(index, product, line.quantity, account.currency):
                    raise refusal
                assert product is not None  # line_refusal refuses a missing product
                items.append(
                    OrderItem(
                        product_id=product.id,
                        sku=product.sku,
                        name=product.name,
                        quantity=line.quantity,
                        unit_price=product.price,
                        line_total=product.price * line.quantity,
                    )
                )
            total = sum(item.line_total for item in items)
            if total > MAX_AMOUNT:
                raise ValidationError(
                    details={"items": f"The total is more than {MAX_AMOUNT} minor units."}
                )
            if account.balance < total:
                raise InsufficientFunds(
                    details={
                        "account_id": f"The account holds {account.balance} and the order"
                        f" costs {total} (minor units)."
                    }
                )

            for item in items:
                products[item.product_id].stock -= item.quantity
            payment = uow.ledger.record(
                transaction_type=TX_ORDER_PAYMENT,
                amount=total,
                currency=account.currency,
                memo=None,
                actor_id=buyer.user_id,
                movements=[(account, -total), (sales, total)],
            )
            order = uow.orders.create(
                user_id=buyer.user_id,
                account_id=account.id,
                status=STATUS_PAID,
                total=total,
                currency=account.currency,
                payment_transaction_id=payment.id,
                items=items,
            )
            payment.memo = f"Order {order.id}"
            uow.emit(
                DomainEvent(
                    "order.placed",
                    subject("order", order.id),
                    {
                        "total": total,
                        "currency": account.currency,
                        "productIds": [str(item.product_id) for item in items],
                    },
                    actor_id=buyer.user_id,
                )
            )
            return order

        return transaction(work)

    def checkout(
        self, buyer: Principal, *, key: str, account_id: int, shown: list[LineRequest]
    ) -> CheckedOut:
        """Order the buyer's stored cart as a page showed it (`shown`, in product id order),
        once per form `key`, and empty the cart in the same transaction (a refused checkout
        leaves it as it was). Refused with CartChanged when the cart is no longer what was
        shown. A form sent again gets the order its first send placed, whatever the cart is
        now, and leaves the cart alone."""

        def order_the_cart(uow: UnitOfWork) -> Order:
            uow.users.lock_for_update([buyer.user_id])  # the cart's writes queue behind this
            cart = uow.cart_items.lines_of(buyer.user_id)
            if shown != [LineRequest(pid, qty) for pid, qty in sorted(cart.items())]:
                raise CartChanged()
            order = self.place(buyer, account_id=account_id, lines=shown)
            uow.cart_items.empty(buyer.user_id)
            uow.on_commit(lambda: cart_changed(buyer.user_id))
            return order

        def produce() -> tuple[int, dict[str, str]]:
            order = transaction(order_the_cart)
            return 201, {"orderId": str(order.id)}

        outcome = IdempotencyService().run(
            buyer.user_id, key, checkout_fingerprint(shown, account_id), produce
        )
        return CheckedOut(self.get(buyer, int(outcome.data["orderId"])), outcome.replayed)

    def cancel(self, actor: Principal, order_id: int) -> Order:
        """Refund a paid order and put its stock back (its owner, or an admin)."""

        def work(uow: UnitOfWork) -> Order:
            order = visible_order(actor, uow.orders.lock_with_items(order_id))
            if not order.cancellable:
                raise Conflict(
                    "Only a paid order can be cancelled.",
                    details={"status": f"The order is {order.status}."},
                )
            account = uow.accounts.find_by_id(order.account_id)
            assert account is not None
            sales = uow.accounts.system_account(SALES_ACCOUNT, order.currency)
            locked = uow.accounts.lock_for_update([account.id, sales.id])
            products = uow.products.lock_for_update(item.product_id for item in order.items)
            for item in order.items:
                products[item.product_id].stock += item.quantity
            refund = uow.ledger.record(
                transaction_type=TX_REFUND,
                amount=order.total,
                currency=order.currency,
                memo=f"Refund of order {order.id}",
                actor_id=actor.user_id,
                movements=[(locked[sales.id], -order.total), (locked[account.id], order.total)],
            )
            uow.orders.update(
                order,
                status=STATUS_CANCELLED,
                cancelled_at=utcnow(),
                refund_transaction_id=refund.id,
            )
            uow.emit(
                DomainEvent(
                    "order.cancelled",
                    subject("order", order.id),
                    {
                        "total": order.total,
                        "currency": order.currency,
                        "productIds": [str(item.product_id) for item in order.items],
                    },
                    actor_id=actor.user_id,
                )
            )
            return order

        return transaction(work)

    def check_cart(
        self, lines: list[LineRequest], products: Mapping[int, ProductRecord] | None = None
    ) -> CartCheck:
        """What each cart line may be ordered as now, by the rules place() enforces (all but
        the paying account's currency and funds, which the cart does not know yet). Products
        are the ones given (loaded together by the caller; one missing is gone), or else
        read through the catalog cache; place() decides on the locked rows."""
        checks = []
        for index, line in enumerate(lines):
            product: ProductRecord | None
            if products is not None:
                product = products.get(line.product_id)
            else:
                try:
                    product = CatalogService().get(line.product_id, include_archived=True)
                except NotFound:
                    product = None
            refusal = line_refusal(index, product, line.quantity)
            checks.append(LineCheck(line.product_id, line.quantity, product, refusal))
        return CartCheck(lines=checks, refusal=line_count_refusal(len(lines)))

    def get(self, viewer: Principal, order_id: int) -> Order:
        with UnitOfWork() as uow:
            return visible_order(viewer, uow.orders.find_with_items(order_id))

    def list_for(
        self,
        viewer: Principal,
        *,
        limit: int,
        cursor: str | None = None,
        user_id: int | None = None,
        status: str | None = None,
    ) -> Page[Order]:
        """The viewer's orders; an admin sees everyone's, optionally one user's."""
        with UnitOfWork() as uow:
            return self._page(uow, viewer, limit, cursor, user_id, status)

    def listing_for_admin(
        self, viewer: Principal, *, limit: int, cursor: str | None = None, status: str | None = None
    ) -> OrderListing:
        """A page of everyone's orders with their buyers, in one query more whatever the
        number of rows (admins only)."""
        viewer.require_admin()
        with UnitOfWork() as uow:
            page = self._page(uow, viewer, limit, cursor, None, status)
            return OrderListing(page, load_people(uow, (order.user_id for order in page.items)))

    @staticmethod
    def _page(
        uow: UnitOfWork,
        viewer: Principal,
        limit: int,
        cursor: str | None,
        user_id: int | None,
        status: str | None,
    ) -> Page[Order]:
        owner_id = user_id if viewer.is_admin else viewer.user_id
        if status is not None and status not in ORDER_STATUSES:
            raise ValidationError(
                details={"status": f"The status must be one of {', '.join(ORDER_STATUSES)}."}
            )
        return uow.orders.page_orders(user_id=owner_id, status=status, limit=limit, cursor=cursor)

    def recent_for_users(self, user_ids: list[int], per_user: int = 5) -> dict[int, list[Order]]:
        with UnitOfWork() as uow:
            return uow.orders.for_users(user_ids, per_user)
