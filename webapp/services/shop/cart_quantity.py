"""How many items a member's stored cart holds, for the navigation of every page: cached
per member (cache-aside) so a page runs no SQL for it when warm. Whatever changes a
member's cart invalidates it once it commits (`CartService`, and checkout emptying it)."""

from __future__ import annotations

from webapp.services.cache import CacheAside
from webapp.services.unit_of_work import UnitOfWork


def load_cart_quantity(user_id: int) -> int:
    with UnitOfWork() as uow:
        return uow.cart_items.quantity_held(user_id)


cart_quantities: CacheAside[int] = CacheAside("cart-quantity", load=load_cart_quantity)


def cart_quantity(user_id: int) -> int:
    return cart_quantities.get(user_id) or 0


def cart_changed(user_id: int) -> None:
    """After a change of the member's cart commits."""
    cart_quantities.invalidate(user_id)
