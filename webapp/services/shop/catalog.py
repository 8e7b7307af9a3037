"""The catalog: products, read through the cache, written by admins.

Two things are cached (cache-aside, `services/cache.py`): each product by id, and the
head of the public catalog (its first page at the largest page size), so a first-page
`GET /products` runs no SQL when warm. Every product write, and every order that moves
stock, invalidates what it changed after it commits and before it returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime

from webapp.core.errors import Conflict, NotFound, ValidationError
from webapp.core.money import AMOUNT_OUT_OF_RANGE, is_amount_in_range
from webapp.models import Product
from webapp.repositories.keyset import Page
from webapp.repositories.products import catalog_cursor
from webapp.services.cache import CacheAside
from webapp.services.events import DomainEvent, subject
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction, unique_violation_as
from webapp.services.wallet.accounts import check_currency

MAX_PAGE_SIZE = 100
SKU_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5000
MAX_STOCK = 10**9
SKU_TAKEN = "This SKU is already used by another product."

# Events after which a product (and the catalog head) may have changed.
PRODUCT_EVENTS = ("product.created", "product.updated", "product.archived")
STOCK_EVENTS = ("order.placed", "order.cancelled")


@dataclass(frozen=True)
class ProductRecord:
    id: int
    sku: str
    name: str
    description: str
    price: int
    currency: str
    stock: int
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product: Product) -> ProductRecord:
        """The product's columns of these names: the one place a product's fields are copied
        (the API's ProductPublic validates from the record's field dict, `fields_of`)."""
        return cls(**{name: getattr(product, name) for name in PRODUCT_FIELDS})


PRODUCT_FIELDS = tuple(field.name for field in fields(ProductRecord))


def load_product(product_id: int) -> ProductRecord | None:
    with UnitOfWork() as uow:
        product = uow.products.find_by_id(product_id)
        return ProductRecord.of(product) if product is not None else None


def load_catalog_head(_key: str) -> tuple[ProductRecord, ...]:
    """The first active products, one more than the largest page (so hasMore is known)."""
    with UnitOfWork() as uow:
        products = uow.products.first_active(MAX_PAGE_SIZE + 1)
        return tuple(ProductRecord.of(p) for p in products)


product_records: CacheAside[ProductRecord] = CacheAside("product", load=load_product)
catalog_head: CacheAside[tuple[ProductRecord, ...]] = CacheAside("catalog", load=load_catalog_head)
HEAD = "head"


def invalidate_products(_sender: str, *, event: DomainEvent) -> None:
    """After a product write or a stock move: drop what changed, and the catalog head."""
    product_ids = event.data.get("productIds") or [event.subject_id]
    for product_id in product_ids:
        product_records.invalidate(int(product_id))
    catalog_head.invalidate(HEAD)


def check_product_fields(
    *,
    sku: str | None = None,
    name: str | None = None,
    description: str | None = None,
    price: int | None = None,
    currency: str | None = None,
    stock: int | None = None,
) -> None:
    """The catalog's rules, one field at a time; all problems reported together."""
    problems: dict[str, str] = {}
    if sku is not None and not SKU_PATTERN.fullmatch(sku):
        problems["sku"] = "The SKU must be 1 to 64 letters, digits, '.', '_' or '-'."
    if name is not None and not 1 <= len(name.strip()) <= MAX_NAME_LENGTH:
        problems["name"] = f"The name must be 1 to {MAX_NAME_LENGTH} characters."
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        problems["description"] = (
            f"The description must be at most {MAX_DESCRIPTION_LENGTH} characters."
        )
    if price is not None and not is_amount_in_range(price):
        problems["price"] = AMOUNT_OUT_OF_RANGE
    if stock is not None and not 0 <= stock <= MAX_STOCK:
        problems["stock"] = f"The stock must be between 0 and {MAX_STOCK}."
    if problems:
        raise ValidationError(details=problems)
    if currency is not None:
        check_currency(currency)


def sku_taken() -> Conflict:
    return Conflict("This SKU is already in the catalog.", details={"sku": SKU_TAKEN})


class CatalogService:
    def list_active(self, *, limit: int, cursor: str | None = None) -> Page[ProductRecord]:
        """The public catalog; its first page comes from the cache."""
        if cursor is None:
            head = catalog_head.get(HEAD) or ()
            items = list(head[:limit])
            has_more = len(head) > limit
            next_cursor = catalog_cursor(items[-1]) if has_more else None
            return Page(items=items, next_cursor=next_cursor, has_more=has_more)
        return self._page(limit=limit, cursor=cursor, include_archived=False)

    def list_all(self, *, limit: int, cursor: str | None = None) -> Page[ProductRecord]:
        """Active and archived products (admins), straight from the database."""
        return self._page(limit=limit, cursor=cursor, include_archived=True)

    def get(self, product_id: int, *, include_archived: bool = False) -> ProductRecord:
        record = product_records.get(product_id)
        if record is None or not (record.is_active or include_archived):
            raise NotFound("No such product.")
        return record

    def create(
        self,
        actor: Principal,
        *,
        sku: str,
        name: str,
        price: int,
        stock: int = 0,
        description: str = "",
        currency: str = "USD",
    ) -> ProductRecord:
        actor.require_admin()
        check_product_fields(
            sku=sku, name=name, description=description, price=price, currency=currency, stock=stock
        )

        def work(uow: UnitOfWork) -> Product:
            if uow.products.find_by_sku(sku) is not None:
                raise sku_taken()
            product = uow.products.create(
                sku=sku,
                name=name.strip(),
                description=description,
                price=price,
                currency=currency,
                stock=stock,
            )
            uow.emit(
                DomainEvent(
                    "product.created",
                    subject("product", product.id),
                    {"sku": sku, "price": price, "stock": stock},
                    actor_id=actor.user_id,
                )
            )
            return product

        with unique_violation_as(sku_taken()):
            return ProductRecord.of(transaction(work))

    def update(self, actor: Principal, product_id: int, **changes: object) -> ProductRecord:
        """Change any of sku, name, description, price, stock, isActive (admins)."""
        actor.require_admin()
        changes = {k: v for k, v in changes.items() if v is not None}
        check_product_fields(**{k: v for k, v in changes.items() if k != "is_active"})  # type: ignore[arg-type]
        if "name" in changes:
            changes["name"] = str(changes["name"]).strip()

        def work(uow: UnitOfWork) -> Product:
            product = uow.products.find_by_id(product_id)
            if product is None:
                raise NotFound("No such product.")
            new_sku = changes.get("sku")
            if new_sku not in (None, product.sku) and uow.products.find_by_sku(str(new_sku)):
                raise sku_taken()
            changed = {k: v for k, v in changes.items() if getattr(product, k) != v}
            if changed:
                uow.products.update(product, **changed)
                uow.emit(
                    DomainEvent(
                        "product.updated",
                        subject("product", product.id),
                        {to_wire(k): v for k, v in changed.items()},
                        actor_id=actor.user_id,
                    )
                )
            return product

        with unique_violation_as(sku_taken()):
            return ProductRecord.of(transaction(work))

    def archive(self, actor: Principal, product_id: int) -> None:
        """Take a product out of the catalog; it stays in the database for past orders."""
        actor.require_admin()

        def work(uow: UnitOfWork) -> None:
            product = uow.products.find_by_id(product_id)
            if product is None:
                raise NotFound("No such product.")
            if product.is_active:
                uow.products.update(product, is_active=False)
                uow.emit(
                    DomainEvent(
                        "product.archived",
                        subject("product", product.id),
                        {"sku": product.sku},
                        actor_id=actor.user_id,
                    )
                )

        transaction(work)

    def _page(
        self, *, limit: int, cursor: str | None, include_archived: bool
    ) -> Page[ProductRecord]:
        with UnitOfWork() as uow:
            page = uow.products.page_catalog(
                limit=limit, cursor=cursor, include_archived=include_archived
            )
        return Page(
            items=[ProductRecord.of(p) for p in page.items],
            next_cursor=page.next_cursor,
            has_more=page.has_more,
        )


def to_wire(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
