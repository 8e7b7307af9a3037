"""Orders: paying for products from a wallet, and cancelling for a refund.

Placing an order is one transaction: lock the paying account (and the shop's sales
account) and then the products, all in ascending id order, check stock and funds,
take the stock, debit the account through the ledger (`order_payment`), and write the
order with snapshots of what was bought. Cancelling reverses it in one transaction:
the order row is locked first, so an order is refunded once however many cancels race.
"""

from __future__ import annotations

from dataclasses import dataclass

from webapp.errors import (
    Conflict,
    CurrencyMismatch,
    InsufficientFunds,
    NotFound,
    OutOfStock,
    ValidationError,
)
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
from webapp.money import MAX_AMOUNT
from webapp.repositories.keyset import Page
from webapp.services.events import DomainEvent, subject
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction

SALES_ACCOUNT = "Shop sales"  # the system account that order payments go to


@dataclass(frozen=True)
class LineRequest:
    product_id: int
    quantity: int


def check_lines(lines: list[LineRequest]) -> None:
    if not 1 <= len(lines) <= MAX_ITEMS_PER_ORDER:
        raise ValidationError(details={"items": f"must hold 1 to {MAX_ITEMS_PER_ORDER} lines"})
    problems: dict[str, str] = {}
    seen: set[int] = set()
    for index, line in enumerate(lines):
        if not 1 <= line.quantity <= MAX_QUANTITY:
            problems[f"items.{index}.quantity"] = f"must be between 1 and {MAX_QUANTITY}"
        if line.product_id in seen:
            problems[f"items.{index}.productId"] = "appears twice; order it once with its total"
        seen.add(line.product_id)
    if problems:
        raise ValidationError(details=problems)


def visible_order(viewer: Principal, order: Order | None) -> Order:
    if order is None or not viewer.may_act_for(order.user_id):
        raise NotFound("No such order.")
    return order


class OrderService:
    def place(self, buyer: Principal, *, account_id: int, lines: list[LineRequest]) -> Order:
        check_lines(lines)

        def work(uow: UnitOfWork) -> Order:
            account = uow.accounts.find_by_id(account_id)
            if account is None or account.kind != KIND_MEMBER or account.user_id != buyer.user_id:
                raise NotFound("No such account.", details={"accountId": "not found"})
            sales = uow.accounts.system_account(SALES_ACCOUNT, account.currency)
            locked = uow.accounts.lock_for_update([account.id, sales.id])
            account, sales = locked[account.id], locked[sales.id]
            products = uow.products.lock_for_update(line.product_id for line in lines)

            items: list[OrderItem] = []
            for index, line in enumerate(lines):
                field = f"items.{index}.productId"
                product = products.get(line.product_id)
                if product is None:
                    raise NotFound("No such product.", details={field: "not found"})
                if not product.is_active:
                    raise ValidationError(details={field: f"{product.sku} is no longer sold"})
                if product.currency != account.currency:
                    raise CurrencyMismatch(
                        f"{product.sku} is priced in {product.currency}, "
                        f"the account holds {account.currency}."
                    )
                if product.stock < line.quantity:
                    raise OutOfStock(
                        f"Not enough {product.name} in stock.",
                        details={field: f"{product.sku}: {product.stock} left"},
                    )
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
                raise ValidationError(details={"items": f"the total exceeds {MAX_AMOUNT}"})
            if account.balance < total:
                raise InsufficientFunds(
                    details={"accountId": f"holds {account.balance}, needs {total}"}
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

        return transaction(work, write_lock=True)

    def cancel(self, actor: Principal, order_id: int) -> Order:
        """Refund a paid order and put its stock back (its owner, or an admin)."""

        def work(uow: UnitOfWork) -> Order:
            order = visible_order(actor, uow.orders.lock_with_items(order_id))
            if order.status != STATUS_PAID:
                raise Conflict(
                    "Only a paid order can be cancelled.", details={"status": order.status}
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

        return transaction(work, write_lock=True)

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
        where = []
        if not viewer.is_admin:
            where.append(Order.user_id == viewer.user_id)
        elif user_id is not None:
            where.append(Order.user_id == user_id)
        if status is not None:
            if status not in ORDER_STATUSES:
                raise ValidationError(
                    details={"status": f"must be one of {', '.join(ORDER_STATUSES)}"}
                )
            where.append(Order.status == status)
        with UnitOfWork() as uow:
            return uow.orders.page_with_items(limit=limit, cursor=cursor, where=where)

    def recent_for_users(self, user_ids: list[int], per_user: int = 5) -> dict[int, list[Order]]:
        with UnitOfWork() as uow:
            return uow.orders.for_users(user_ids, per_user)
