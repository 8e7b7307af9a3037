"""The shop through /api/v1: a cached catalog, orders that move exactly the money and stock
they should, refunds, and lists whose statement count does not grow with their size."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.clients import bearer
from tests.support.envelopes import assert_error, assert_success
from webapp.api.schemas.shop import ProductPublic
from webapp.infra.extensions import cache, db
from webapp.models import Event
from webapp.services.shop.catalog import PRODUCT_FIELDS


@pytest.fixture
def buyer(register, login):
    register("buyer@example.com", "Buyer")
    return bearer(login("buyer@example.com"))


def create_product(client, admin, **fields):
    body = {"sku": "MUG", "name": "Mug", "price": 12_50, "stock": 5, **fields}
    return assert_success(client.post("/api/v1/products", json=body, headers=admin), 201)


def main_account(client, headers):
    return assert_success(client.get("/api/v1/accounts", headers=headers))[0]


@pytest.fixture
def wallet(client, admin, buyer):
    """The buyer's Main account, holding 100.00."""
    account = main_account(client, buyer)
    response = client.post(
        f"/api/v1/accounts/{account['id']}/deposits", json={"amount": 100_00}, headers=admin
    )
    assert response.status_code == 201
    return account["id"]


def order(client, headers, account_id, *lines, **extra_headers):
    body = {
        "accountId": account_id,
        "items": [{"productId": pid, "quantity": qty} for pid, qty in lines],
    }
    return client.post("/api/v1/orders", json=body, headers={**headers, **extra_headers})


def stock(client, product_id) -> int:
    return assert_success(client.get(f"/api/v1/products/{product_id}"))["stock"]


def balance(client, headers, account_id) -> int:
    return assert_success(client.get(f"/api/v1/accounts/{account_id}", headers=headers))["balance"]


# --- Catalog -------------------------------------------------------------------------------


def test_the_catalog_is_public_and_lists_active_products(client, admin):
    mug = create_product(client, admin)
    cup = create_product(client, admin, sku="CUP", name="Cup")
    listed = assert_success(client.get("/api/v1/products"))
    assert [p["id"] for p in listed] == [mug["id"], cup["id"]]
    assert assert_success(client.get(f"/api/v1/products/{mug['id']}"))["sku"] == "MUG"


def test_a_warm_catalog_first_page_runs_no_sql(client, admin, count_statements):
    create_product(client, admin)
    client.get("/api/v1/products")
    with count_statements() as counter:
        assert client.get("/api/v1/products").status_code == 200
        assert client.get("/api/v1/products?limit=5").status_code == 200
    assert counter.statements == []


def test_a_warm_product_runs_no_sql(client, admin, count_statements):
    mug = create_product(client, admin)
    client.get(f"/api/v1/products/{mug['id']}")
    with count_statements() as counter:
        assert client.get(f"/api/v1/products/{mug['id']}").status_code == 200
    assert counter.statements == []


def test_a_patch_is_visible_on_the_very_next_get(client, app, admin):
    mug = create_product(client, admin)
    client.get(f"/api/v1/products/{mug['id']}")
    client.get("/api/v1/products")
    patched = client.patch(
        f"/api/v1/products/{mug['id']}", json={"price": 9_99, "name": "Big mug"}, headers=admin
    )
    assert assert_success(patched)["price"] == 9_99
    other_client = app.test_client()
    for reader in (client, other_client):
        product = assert_success(reader.get(f"/api/v1/products/{mug['id']}"))
        assert (product["price"], product["name"]) == (9_99, "Big mug")
        assert assert_success(reader.get("/api/v1/products"))[0]["price"] == 9_99


def test_an_archived_product_leaves_the_first_page_at_once(client, admin):
    mug = create_product(client, admin)
    create_product(client, admin, sku="CUP", name="Cup")
    client.get("/api/v1/products")
    assert client.delete(f"/api/v1/products/{mug['id']}", headers=admin).status_code == 204
    assert [p["sku"] for p in assert_success(client.get("/api/v1/products"))] == ["CUP"]
    assert_error(client.get(f"/api/v1/products/{mug['id']}"), 404, "NOT_FOUND")
    # Admins still see it, on request.
    archived = client.get("/api/v1/products?includeArchived=true", headers=admin)
    assert [p["sku"] for p in assert_success(archived)] == ["MUG", "CUP"]
    one = client.get(f"/api/v1/products/{mug['id']}?includeArchived=true", headers=admin)
    assert assert_success(one)["isActive"] is False
    # Without asking, an archived product is gone for admins too: DELETE means gone.
    assert_error(client.get(f"/api/v1/products/{mug['id']}", headers=admin), 404, "NOT_FOUND")


def test_include_archived_is_for_admins_only(client, admin, buyer):
    mug = create_product(client, admin)
    client.delete(f"/api/v1/products/{mug['id']}", headers=admin)
    for headers in ({}, buyer):
        listed = client.get("/api/v1/products?includeArchived=true", headers=headers)
        assert assert_success(listed) == []
        one = client.get(f"/api/v1/products/{mug['id']}?includeArchived=true", headers=headers)
        assert_error(one, 404, "NOT_FOUND")


def test_an_unknown_product_is_negatively_cached_then_found_once_created(client, admin):
    assert_error(client.get("/api/v1/products/1"), 404, "NOT_FOUND")
    mug = create_product(client, admin)
    assert mug["id"] == "1"
    assert assert_success(client.get("/api/v1/products/1"))["sku"] == "MUG"


def test_the_catalog_pages_with_a_cursor(client, admin):
    for n in range(7):
        create_product(client, admin, sku=f"SKU-{n}", name=f"Thing {n}")
    first = client.get("/api/v1/products?limit=3").get_json()
    seen = [p["sku"] for p in first["data"]]
    cursor = first["meta"]["pagination"]["nextCursor"]
    while cursor:
        page = client.get(f"/api/v1/products?limit=3&cursor={cursor}").get_json()
        seen += [p["sku"] for p in page["data"]]
        cursor = page["meta"]["pagination"]["nextCursor"]
    assert seen == [f"SKU-{n}" for n in range(7)]


def test_the_catalog_is_served_when_the_cache_backend_is_down(client, admin, monkeypatch):
    mug = create_product(client, admin)

    def down(*_args, **_kwargs):
        raise ConnectionError("cache is down")

    for name in ("get", "set", "add"):
        monkeypatch.setattr(cache, name, down)
    assert [p["sku"] for p in assert_success(client.get("/api/v1/products"))] == ["MUG"]
    assert assert_success(client.get(f"/api/v1/products/{mug['id']}"))["sku"] == "MUG"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price": 0}, "price"),
        ({"price": "12.50"}, "price"),
        ({"price": 1.5}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": True}, "stock"),
        ({"sku": ""}, "sku"),
        ({"sku": "has space"}, "sku"),
        ({"name": ""}, "name"),
        ({"currency": "XXX"}, "currency"),
        ({"isActive": True}, "isActive"),
    ],
)
def test_product_input_is_validated(client, admin, body, field):
    response = client.post(
        "/api/v1/products", json={"sku": "OK", "name": "Ok", "price": 1, **body}, headers=admin
    )
    assert field in assert_error(response, 422, "VALIDATION_ERROR")["details"]
    assert assert_success(client.get("/api/v1/products?includeArchived=true", headers=admin)) == []


def test_a_duplicate_sku_is_409(client, admin):
    create_product(client, admin)
    response = client.post(
        "/api/v1/products", json={"sku": "MUG", "name": "Other", "price": 1}, headers=admin
    )
    assert "sku" in assert_error(response, 409, "CONFLICT")["details"]


def test_only_admins_write_the_catalog(client, admin, buyer):
    mug = create_product(client, admin)
    body = {"sku": "X", "name": "X", "price": 1}
    assert_error(client.post("/api/v1/products", json=body), 401, "UNAUTHORIZED")
    assert_error(client.post("/api/v1/products", json=body, headers=buyer), 403, "FORBIDDEN")
    patch = client.patch(f"/api/v1/products/{mug['id']}", json={"price": 1}, headers=buyer)
    assert_error(patch, 403, "FORBIDDEN")
    assert_error(client.delete(f"/api/v1/products/{mug['id']}", headers=buyer), 403, "FORBIDDEN")
    assert stock(client, mug["id"]) == 5


def test_product_writes_are_audited(client, app, admin):
    mug = create_product(client, admin)
    client.patch(f"/api/v1/products/{mug['id']}", json={"stock": 9}, headers=admin)
    client.delete(f"/api/v1/products/{mug['id']}", headers=admin)
    with app.app_context():
        events = db.session.scalars(
            select(Event).where(Event.type.like("product.%")).order_by(Event.id)
        ).all()
    assert [(e.type, e.subject) for e in events] == [
        ("product.created", f"product:{mug['id']}"),
        ("product.updated", f"product:{mug['id']}"),
        ("product.archived", f"product:{mug['id']}"),
    ]
    assert events[1].data == {"stock": 9}


# --- Orders --------------------------------------------------------------------------------


def test_an_order_moves_exactly_the_money_and_stock_it_should(client, app, admin, buyer, wallet):
    mug = create_product(client, admin)
    cup = create_product(client, admin, sku="CUP", name="Cup", price=3_00, stock=10)
    placed = assert_success(order(client, buyer, wallet, (mug["id"], 2), (cup["id"], 3)), 201)
    assert placed["status"] == "paid"
    assert placed["total"] == 2 * 12_50 + 3 * 3_00
    assert placed["items"] == [
        {
            "productId": mug["id"],
            "sku": "MUG",
            "name": "Mug",
            "quantity": 2,
            "unitPrice": 12_50,
            "lineTotal": 25_00,
        },
        {
            "productId": cup["id"],
            "sku": "CUP",
            "name": "Cup",
            "quantity": 3,
            "unitPrice": 3_00,
            "lineTotal": 9_00,
        },
    ]
    assert balance(client, buyer, wallet) == 100_00 - 34_00
    assert (stock(client, mug["id"]), stock(client, cup["id"])) == (3, 7)
    history = assert_success(client.get(f"/api/v1/accounts/{wallet}/transactions", headers=buyer))
    assert (history[0]["type"], history[0]["amount"]) == ("order_payment", -34_00)
    with app.app_context():
        event = db.session.scalars(select(Event).order_by(Event.id.desc())).first()
        assert (event.type, event.subject) == ("order.placed", f"order:{placed['id']}")


def test_item_snapshots_survive_catalog_changes(client, admin, buyer, wallet):
    mug = create_product(client, admin)
    placed = assert_success(order(client, buyer, wallet, (mug["id"], 1)), 201)
    client.patch(
        f"/api/v1/products/{mug['id']}", json={"price": 99_00, "name": "Gold mug"}, headers=admin
    )
    again = assert_success(client.get(f"/api/v1/orders/{placed['id']}", headers=buyer))
    assert (again["items"][0]["name"], again["items"][0]["unitPrice"]) == ("Mug", 12_50)


def assert_nothing_moved(client, buyer, wallet, product_id, expected_stock=5):
    assert balance(client, buyer, wallet) == 100_00
    assert stock(client, product_id) == expected_stock
    assert assert_success(client.get("/api/v1/orders", headers=buyer)) == []


def test_out_of_stock_names_the_product_and_moves_nothing(client, admin, buyer, wallet):
    mug = create_product(client, admin, stock=1)
    error = assert_error(order(client, buyer, wallet, (mug["id"], 2)), 422, "OUT_OF_STOCK")
    assert error["details"] == {"items.0.productId": "The shop has only 1 of MUG in stock."}
    assert_nothing_moved(client, buyer, wallet, mug["id"], expected_stock=1)


def test_insufficient_funds_moves_nothing(client, admin, buyer, wallet):
    mug = create_product(client, admin, price=60_00)
    assert_error(order(client, buyer, wallet, (mug["id"], 2)), 422, "INSUFFICIENT_FUNDS")
    assert_nothing_moved(client, buyer, wallet, mug["id"])


def test_an_archived_product_cannot_be_ordered(client, admin, buyer, wallet):
    mug = create_product(client, admin)
    client.delete(f"/api/v1/products/{mug['id']}", headers=admin)
    error = assert_error(order(client, buyer, wallet, (mug["id"], 1)), 422, "VALIDATION_ERROR")
    assert "items.0.productId" in error["details"]
    assert balance(client, buyer, wallet) == 100_00


def test_a_product_in_another_currency_is_refused(client, admin, buyer, wallet):
    mug = create_product(client, admin, currency="EUR")
    assert_error(order(client, buyer, wallet, (mug["id"], 1)), 422, "CURRENCY_MISMATCH")
    assert_nothing_moved(client, buyer, wallet, mug["id"])


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "items"),
        ([("P", 0)], "items.0.quantity"),
        ([("P", 1001)], "items.0.quantity"),
        ([("P", 1), ("P", 2)], "items.1.productId"),
        ([("P", "1")], "items.0.quantity"),
        ([("P", 1.5)], "items.0.quantity"),
    ],
)
def test_order_lines_are_validated(client, admin, buyer, wallet, lines, field):
    mug = create_product(client, admin)
    resolved = [(mug["id"] if pid == "P" else pid, qty) for pid, qty in lines]
    error = assert_error(order(client, buyer, wallet, *resolved), 422, "VALIDATION_ERROR")
    assert field in error["details"]
    assert_nothing_moved(client, buyer, wallet, mug["id"])


def test_more_than_fifty_lines_are_refused(client, admin, buyer, wallet):
    products = [
        create_product(client, admin, sku=f"S{n}", name=f"S{n}", price=1, stock=9)
        for n in range(51)
    ]
    response = order(client, buyer, wallet, *[(p["id"], 1) for p in products])
    assert "items" in assert_error(response, 422, "VALIDATION_ERROR")["details"]
    assert balance(client, buyer, wallet) == 100_00


def test_unknown_products_and_foreign_accounts_are_not_found(
    client, admin, buyer, wallet, register, login
):
    mug = create_product(client, admin)
    assert_error(order(client, buyer, wallet, ("999999", 1)), 404, "NOT_FOUND")
    assert_error(order(client, buyer, wallet, ("abc", 1)), 404, "NOT_FOUND")
    register("thief@example.com", "Thief")
    thief = bearer(login("thief@example.com"))
    assert_error(order(client, thief, wallet, (mug["id"], 1)), 404, "NOT_FOUND")
    assert_nothing_moved(client, buyer, wallet, mug["id"])


def test_an_order_with_an_idempotency_key_is_placed_once(client, admin, buyer, wallet):
    mug = create_product(client, admin)
    first = order(client, buyer, wallet, (mug["id"], 1), **{"Idempotency-Key": "cart-1"})
    again = order(client, buyer, wallet, (mug["id"], 1), **{"Idempotency-Key": "cart-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["data"] == first.get_json()["data"]
    assert stock(client, mug["id"]) == 4
    assert balance(client, buyer, wallet) == 100_00 - 12_50


def test_a_warm_product_shows_the_stock_an_order_took(client, admin, buyer, wallet):
    mug = create_product(client, admin)
    client.get(f"/api/v1/products/{mug['id']}")
    client.get("/api/v1/products")
    order(client, buyer, wallet, (mug["id"], 2))
    assert stock(client, mug["id"]) == 3
    assert assert_success(client.get("/api/v1/products"))[0]["stock"] == 3


# --- Cancel --------------------------------------------------------------------------------


def test_cancel_refunds_once_and_restores_stock(client, app, admin, buyer, wallet):
    mug = create_product(client, admin)
    placed = assert_success(order(client, buyer, wallet, (mug["id"], 2)), 201)
    cancelled = assert_success(client.post(f"/api/v1/orders/{placed['id']}/cancel", headers=buyer))
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelledAt"]
    assert balance(client, buyer, wallet) == 100_00
    assert stock(client, mug["id"]) == 5
    again = client.post(f"/api/v1/orders/{placed['id']}/cancel", headers=buyer)
    assert_error(again, 409, "CONFLICT")
    assert balance(client, buyer, wallet) == 100_00
    assert stock(client, mug["id"]) == 5
    history = assert_success(client.get(f"/api/v1/accounts/{wallet}/transactions", headers=buyer))
    assert [line["type"] for line in history] == ["refund", "order_payment", "deposit"]


def test_an_admin_may_cancel_any_order_and_others_may_not(
    client, admin, buyer, wallet, register, login
):
    mug = create_product(client, admin)
    placed = assert_success(order(client, buyer, wallet, (mug["id"], 1)), 201)
    register("other@example.com", "Other")
    other = bearer(login("other@example.com"))
    assert_error(
        client.post(f"/api/v1/orders/{placed['id']}/cancel", headers=other), 404, "NOT_FOUND"
    )
    assert_error(client.get(f"/api/v1/orders/{placed['id']}", headers=other), 404, "NOT_FOUND")
    assert balance(client, buyer, wallet) == 100_00 - 12_50
    assert assert_success(client.post(f"/api/v1/orders/{placed['id']}/cancel", headers=admin))
    assert balance(client, buyer, wallet) == 100_00


# --- Lists without N+1 ---------------------------------------------------------------------


def test_order_lists_filter_by_status_and_user(client, admin, buyer, wallet):
    mug = create_product(client, admin, price=1_00, stock=100)
    ids = [
        assert_success(order(client, buyer, wallet, (mug["id"], 1)), 201)["id"] for _ in range(3)
    ]
    client.post(f"/api/v1/orders/{ids[0]}/cancel", headers=buyer)
    mine = assert_success(client.get("/api/v1/orders", headers=buyer))
    assert [o["id"] for o in mine] == ids[::-1]
    paid = assert_success(client.get("/api/v1/orders?status=paid", headers=buyer))
    assert [o["id"] for o in paid] == ids[:0:-1]
    owner = mine[0]["userId"]
    everyone = assert_success(client.get(f"/api/v1/orders?userId={owner}", headers=admin))
    assert len(everyone) == 3
    assert_error(client.get("/api/v1/orders?status=lost", headers=buyer), 422, "VALIDATION_ERROR")


def place_many(client, admin, buyer, wallet, count):
    products = [
        create_product(client, admin, sku=f"P{n}", name=f"P{n}", price=1, stock=999)
        for n in range(3)
    ]
    for n in range(count):
        lines = [(p["id"], 1 + n % 2) for p in products[: 1 + n % 3]]
        assert order(client, buyer, wallet, *lines).status_code == 201


def test_order_list_statements_do_not_grow_with_page_size(
    client, admin, buyer, wallet, count_statements
):
    place_many(client, admin, buyer, wallet, 50)
    counts = {}
    for limit in (1, 50):
        client.get(f"/api/v1/orders?limit={limit}", headers=buyer)  # warm the auth cache
        with count_statements() as counter:
            data = assert_success(client.get(f"/api/v1/orders?limit={limit}", headers=buyer))
        assert len(data) == limit and all(o["items"] for o in data)
        counts[limit] = counter.count
    assert counts[1] == counts[50]


def test_users_with_their_orders_cost_the_same_for_1_or_50_users(
    client, app, admin, wallet, buyer, count_statements
):
    from tests.support.clients import PASSWORD
    from webapp.services.users.registration import RegistrationService

    place_many(client, admin, buyer, wallet, 5)
    with app.app_context():
        for n in range(50):
            RegistrationService().register(
                email=f"u{n}@example.com", password=PASSWORD, name=f"U{n}"
            )
    counts = {}
    for limit in (1, 50):
        url = f"/api/v1/users?include=orders&limit={limit}"
        client.get(url, headers=admin)
        with count_statements() as counter:
            data = assert_success(client.get(url, headers=admin))
        assert len(data) == limit
        counts[limit] = counter.count
    assert counts[1] == counts[50]
    listed = assert_success(client.get("/api/v1/users?include=orders&limit=100", headers=admin))
    by_email = {u["email"]: u for u in listed}
    assert len(by_email["buyer@example.com"]["orders"]) == 5
    assert by_email["u3@example.com"]["orders"] == []
    assert "orders" not in assert_success(client.get("/api/v1/users", headers=admin))[0]


def test_a_product_on_the_wire_has_the_product_records_fields_in_their_order():
    # ProductPublic validates from the record's field dict; a field added to one is added to both.
    assert tuple(ProductPublic.model_fields) == PRODUCT_FIELDS
