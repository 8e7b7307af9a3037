"""Queries over orders, always with their items in one extra query (never one per order)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import selectinload

from webapp.models import Order
from webapp.models.order import STATUS_PAID
from webapp.repositories.base import Repository
from webapp.repositories.keyset import Page

WITH_ITEMS = (selectinload(Order.items),)


class OrderRepository(Repository[Order]):
    model = Order

    def find_with_items(self, order_id: int) -> Order | None:
        return self.find_by_id(order_id, options=WITH_ITEMS)

    def lock_with_items(self, order_id: int) -> Order | None:
        statement = (
            select(Order)
            .where(Order.id == order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
            .options(*WITH_ITEMS)
        )
        return self.session.scalar(statement)

    def page_orders(
        self, *, user_id: int | None, status: str | None, limit: int, cursor: str | None
    ) -> Page[Order]:
        """One page of orders, newest first, items loaded: one user's or everyone's (None),
        of one status or any (None)."""
        where: list[ColumnElement[bool]] = []
        if user_id is not None:
            where.append(Order.user_id == user_id)
        if status is not None:
            where.append(Order.status == status)
        return self.find_page(limit=limit, cursor=cursor, where=where, options=WITH_ITEMS)

    def recent_for_user(self, user_id: int, limit: int) -> list[Order]:
        """The user's newest orders, items loaded (two queries)."""
        return self.find_many(where=[Order.user_id == user_id], limit=limit, options=WITH_ITEMS)

    def export_chunk(self, user_id: int, *, after_id: int, limit: int) -> list[Order]:
        """A keyset step over the user's orders, oldest first, items loaded (two queries)."""
        return self.find_after(
            after_id, limit=limit, where=[Order.user_id == user_id], options=WITH_ITEMS
        )

    def totals_by_currency(self) -> dict[str, tuple[int, int]]:
        """Per currency: (every order, the totals of those still paid), in one query."""
        paid = func.coalesce(func.sum(case((Order.status == STATUS_PAID, Order.total), else_=0)), 0)
        statement = select(Order.currency, func.count(Order.id), paid).group_by(Order.currency)
        return {
            currency: (int(count), int(revenue))
            for currency, count, revenue in self.session.execute(statement)
        }

    def count_placed_per_period(self, bounds: Sequence[datetime]) -> list[int]:
        """Orders placed in each period between consecutive `bounds` (one query)."""
        return self.count_per_period(bounds)

    def for_users(self, user_ids: Sequence[int], per_user: int) -> dict[int, list[Order]]:
        """Each user's newest orders (at most `per_user`), items loaded: two queries in all."""
        grouped: dict[int, list[Order]] = {user_id: [] for user_id in user_ids}
        if not user_ids:
            return grouped
        ranked = (
            select(
                Order.id,
                func.row_number()
                .over(partition_by=Order.user_id, order_by=Order.id.desc())
                .label("rank"),
            )
            .where(Order.user_id.in_(user_ids))
            .subquery()
        )
        statement = (
            select(Order)
            .join(ranked, ranked.c.id == Order.id)
            .where(ranked.c.rank <= per_user)
            .order_by(Order.id.desc())
            .options(*WITH_ITEMS)
        )
        for order in self.session.scalars(statement):
            grouped[order.user_id].append(order)
        return grouped
