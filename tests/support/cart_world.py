"""A world for the cart service's tests: an admin, two members and two products, made
through the services (run it inside an app context)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.clients import PASSWORD
from webapp.services.auth import AuthService
from webapp.services.principal import Principal
from webapp.services.shop.catalog import CatalogService
from webapp.services.users.registration import RegistrationService


@dataclass(frozen=True)
class CartWorld:
    admin: Principal
    member: int
    other: int
    mug: int  # 12.50 USD
    cup: int  # 3.00 USD


def cart_world(*, mug_stock: int, cup_stock: int) -> CartWorld:
    registration = RegistrationService()
    admin_id = registration.create_or_promote_admin(
        email="admin@example.com", password=PASSWORD, name="Admin"
    ).user.id
    admin = AuthService().acting_as(admin_id)
    member = registration.register(email="m@example.com", password=PASSWORD, name="M").id
    other = registration.register(email="o@example.com", password=PASSWORD, name="O").id
    catalog = CatalogService()
    mug = catalog.create(admin, sku="MUG", name="Mug", price=12_50, stock=mug_stock).id
    cup = catalog.create(admin, sku="CUP", name="Cup", price=3_00, stock=cup_stock).id
    return CartWorld(admin, member, other, mug, cup)
