"""The shop under concurrency: the last units are never oversold, an order is refunded once,
and the ledger balances after all of it."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.support.clients import PASSWORD, bearer
from tests.support.concurrency import run_in_threads
from webapp.infra.extensions import db
from webapp.models import Account, Order, Product
from webapp.services.users.registration import RegistrationService


def buyers_with_money(app, client, login, admin, count: int, each: int):
    app.config["LOGIN_RATE_LIMIT"] = "1000/minute"  # every buyer logs in from this one client
    with app.app_context():
        for n in range(count):
            RegistrationService().register(
                email=f"b{n}@example.com", password=PASSWORD, name=f"B{n}"
            )
    buyers = []
    for n in range(count):
        headers = bearer(login(f"b{n}@example.com"))
        account_id = client.get("/api/v1/accounts", headers=headers).get_json()["data"][0]["id"]
        client.post(f"/api/v1/accounts/{account_id}/deposits", json={"amount": each}, headers=admin)
        buyers.append((headers, account_id))
    return buyers


def admin_with_product(client, login, make_admin, **product):
    """An administrator's headers, and a product they created."""
    make_admin("admin@example.com")
    admin = bearer(login("admin@example.com"))
    response = client.post("/api/v1/products", json=product, headers=admin)
    assert response.status_code == 201
    return admin, response.get_json()["data"]


def test_concurrent_orders_for_the_last_units_never_oversell(
    app, client, login, make_admin, runner
):
    admin, product = admin_with_product(
        client, login, make_admin, sku="LAST", name="Last ones", price=1000, stock=5
    )
    buyers = buyers_with_money(app, client, login, admin, count=12, each=50_00)
    statuses: list[int] = []
    lock = threading.Lock()

    def buy(index: int) -> None:
        headers, account_id = buyers[index]
        response = app.test_client().post(
            "/api/v1/orders",
            json={"accountId": account_id, "items": [{"productId": product["id"], "quantity": 1}]},
            headers=headers,
        )
        with lock:
            statuses.append(response.status_code)

    run_in_threads(12, buy)

    assert sorted(statuses) == [201] * 5 + [422] * 7
    with app.app_context():
        assert db.session.scalar(select(Product.stock)) == 0
        assert db.session.scalar(select(func.count()).select_from(Order)) == 5
        spent = db.session.scalar(select(func.sum(Account.balance)).where(Account.kind == "member"))
        assert spent == 12 * 50_00 - 5 * 10_00
    assert client.get(f"/api/v1/products/{product['id']}").get_json()["data"]["stock"] == 0
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 0, result.output


def test_parallel_cancels_refund_once(app, client, login, make_admin, runner):
    admin, product = admin_with_product(
        client, login, make_admin, sku="ONE", name="One", price=700, stock=3
    )
    ((headers, account_id),) = buyers_with_money(app, client, login, admin, count=1, each=20_00)
    placed = client.post(
        "/api/v1/orders",
        json={"accountId": account_id, "items": [{"productId": product["id"], "quantity": 2}]},
        headers=headers,
    ).get_json()["data"]
    statuses: list[int] = []

    def cancel(_index: int) -> None:
        response = app.test_client().post(f"/api/v1/orders/{placed['id']}/cancel", headers=headers)
        statuses.append(response.status_code)

    run_in_threads(10, cancel)

    assert sorted(statuses) == [200] + [409] * 9
    account = client.get(f"/api/v1/accounts/{account_id}", headers=headers).get_json()["data"]
    assert account["balance"] == 20_00
    assert client.get(f"/api/v1/products/{product['id']}").get_json()["data"]["stock"] == 3
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0


def test_orders_and_transfers_together_keep_the_ledger_balanced(
    app, client, login, make_admin, runner
):
    admin, product = admin_with_product(
        client, login, make_admin, sku="MIX", name="Mix", price=300, stock=1000
    )
    buyers = buyers_with_money(app, client, login, admin, count=4, each=40_00)
    with app.app_context():
        held = db.session.scalar(select(func.sum(Account.balance)).where(Account.kind == "member"))
    statuses: list[int] = []

    def work(index: int) -> None:
        thread_client = app.test_client()
        headers, account_id = buyers[index % 4]
        _, other = buyers[(index + 1) % 4]
        for n in range(15):
            if n % 2:
                response = thread_client.post(
                    "/api/v1/orders",
                    json={
                        "accountId": account_id,
                        "items": [{"productId": product["id"], "quantity": 1 + n % 3}],
                    },
                    headers=headers,
                )
            else:
                response = thread_client.post(
                    "/api/v1/transfers",
                    json={"fromAccountId": account_id, "toAccountId": other, "amount": 2_00},
                    headers=headers,
                )
            statuses.append(response.status_code)

    run_in_threads(8, work)

    assert not [s for s in statuses if s >= 500]
    with app.app_context():
        member_total = db.session.scalar(
            select(func.sum(Account.balance)).where(Account.kind == "member")
        )
        sold = db.session.scalar(select(func.sum(Order.total)))
        assert member_total == held - sold
        assert (
            db.session.scalar(select(func.min(Account.balance)).where(Account.kind == "member"))
            >= 0
        )
        assert (
            db.session.scalar(select(Product.stock))
            == 1000 - db.session.scalar(select(func.sum(Order.total))) // 3_00
        )
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0


def test_parallel_creations_of_one_sku_create_one_product(app, client, login, make_admin):
    make_admin("admin@example.com")
    admin = bearer(login("admin@example.com"))
    statuses: list[int] = []

    def create(index: int) -> None:
        response = app.test_client().post(
            "/api/v1/products",
            json={"sku": "TWIN", "name": f"Twin {index}", "price": 1_00},
            headers=admin,
        )
        statuses.append(response.status_code)

    run_in_threads(8, create)

    assert sorted(statuses) == [201] + [409] * 7
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 1
