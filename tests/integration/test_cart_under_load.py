"""A member's stored cart under concurrency: additions from several tabs at once all count
(none lost, none a 500 on the one-line-per-product constraint)."""

from __future__ import annotations

from sqlalchemy import select

from tests.support.cart_world import cart_world
from tests.support.concurrency import run_in_threads
from webapp.infra.extensions import db
from webapp.models import CartItem
from webapp.services.shop.cart import CartService


def test_concurrent_additions_to_one_members_cart_all_count(app):
    with app.app_context():
        world = cart_world(mug_stock=100, cup_stock=100)
    member, mug, cup = world.member, world.mug, world.cup

    problems: list[str | None] = []

    def add(index: int) -> None:
        with app.app_context():
            product = mug if index % 2 else cup
            problems.append(CartService().add(member, {}, product, 1 + index % 3).problem)

    run_in_threads(12, add)
    assert problems == [None] * 12
    with app.app_context():
        rows = db.session.scalars(select(CartItem).where(CartItem.user_id == member)).all()
        quantities = {row.product_id: row.quantity for row in rows}
    expected = {
        mug: sum(1 + n % 3 for n in range(12) if n % 2),
        cup: sum(1 + n % 3 for n in range(12) if not n % 2),
    }
    assert quantities == expected
