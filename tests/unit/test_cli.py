"""Operator commands: create-admin and seed-demo are idempotent and go through the services."""

from __future__ import annotations

from sqlalchemy import func, select, update

from webapp.infra.extensions import db
from webapp.models import Account, Event, LedgerEntry, User


def users(app) -> dict[str, list[str]]:
    with app.app_context():
        return {u.email: u.roles for u in db.session.scalars(select(User))}


def test_create_admin_creates_then_does_nothing(app, runner):
    args = ["create-admin", "--email", "Boss@Example.com", "--password", "a-long-password"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "Created administrator boss@example.com" in first.output
    second = runner.invoke(args=args)
    assert second.exit_code == 0
    assert "already an administrator" in second.output
    assert users(app) == {"boss@example.com": ["admin", "user"]}


def test_create_admin_promotes_an_existing_member(app, runner, register):
    register("member@example.com")
    result = runner.invoke(
        args=["create-admin", "--email", "member@example.com", "--password", "whatever-else"]
    )
    assert result.exit_code == 0, result.output
    assert "Promoted member@example.com" in result.output
    assert users(app) == {"member@example.com": ["admin", "user"]}
    with app.app_context():
        types = db.session.scalars(select(Event.type).order_by(Event.id)).all()
        assert types == ["user.created", "user.updated"]


def test_create_admin_reports_bad_input_without_a_trace(app, runner):
    result = runner.invoke(args=["create-admin", "--email", "nope", "--password", "short"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert users(app) == {}


def balances(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(User.email, Account.balance).join(Account, Account.user_id == User.id)
        )
        return dict(rows.all())


def test_seed_demo_is_idempotent_and_shows_progress(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "[1/9] member alice@example.com: created" in first.output
    assert "demo transfers: 3 made" in first.output
    assert "products: 5 added" in first.output
    assert "demo orders: 1 placed" in first.output
    assert "demo payment requests: 2 asked" in first.output
    snapshot, money = users(app), balances(app)
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(Event))
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "already there" in second.output
    assert "welcome credits: 0 deposited" in second.output
    assert "products: 0 added" in second.output
    assert "demo orders: 0 placed" in second.output
    assert "demo payment requests: 0 asked" in second.output
    assert users(app) == snapshot
    assert balances(app) == money
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == events
    assert sum("admin" in roles for roles in snapshot.values()) == 1
    assert len(snapshot) == 4
    # Seeded through the services: balances come from deposits and transfers.
    assert money == {
        "alice@example.com": 100_00 - 12_50 + 20_00 - (12_00 + 2 * 6_50),
        "bob@example.com": 100_00 + 12_50 - 5_00,
        "carol@example.com": 100_00 + 5_00 - 20_00,
        "admin@example.com": 0,
    }
    with app.app_context():
        types = db.session.scalars(select(Event.type)).all()
        assert types.count("user.created") == 4
        assert types.count("deposit.completed") == 3
        assert types.count("transfer.completed") == 3
        assert types.count("product.created") == 5
        assert types.count("order.placed") == 1
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0


def test_verify_ledger_passes_on_a_consistent_ledger(app, runner):
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 0, result.output
    assert "the ledger balances" in result.output


def test_verify_ledger_exits_1_when_a_balance_disagrees_with_its_entries(app, runner):
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.balance > 0).limit(1))
        db.session.execute(
            update(Account).where(Account.id == account.id).values(balance=Account.balance + 1)
        )
        db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert f"account {account.id}: balance" in result.output
    assert "MISMATCHES FOUND" in result.output


def test_verify_ledger_exits_1_when_a_transaction_does_not_balance(app, runner):
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        entry = db.session.scalar(select(LedgerEntry).order_by(LedgerEntry.id).limit(1))
        db.session.execute(
            update(LedgerEntry).where(LedgerEntry.id == entry.id).values(amount=entry.amount - 1)
        )
        db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert f"transaction {entry.transaction_id}: its entries sum to -1" in result.output


def test_seed_demo_never_promotes_nor_changes_an_account_it_did_not_create(
    app, runner, client, register
):
    from tests.support.clients import PASSWORD

    register("admin@example.com", name="A stranger")  # registered before the demo was seeded
    register("alice@example.com", name="Another stranger")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin admin@example.com: exists but was not made by seed-demo: left alone" in (
        result.output
    )
    assert "member alice@example.com: exists but was not made by seed-demo" in result.output
    assert users(app)["admin@example.com"] == ["user"]  # not promoted
    assert users(app)["alice@example.com"] == ["user"]
    assert balances(app) == {
        "admin@example.com": 0,
        "alice@example.com": 0,
        "bob@example.com": 0,
        "carol@example.com": 0,
    }
    for email in ("admin@example.com", "alice@example.com"):  # passwords untouched
        body = {"email": email, "password": "tally-demo-password"}
        assert client.post("/api/v1/auth/login", json=body).status_code == 401
        body["password"] = PASSWORD
        assert client.post("/api/v1/auth/login", json=body).status_code == 200
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert users(app)["admin@example.com"] == ["user"]


def test_seed_demo_refuses_to_run_where_demo_data_is_not_allowed(app, runner):
    app.config["DEMO_DATA_ALLOWED"] = False  # as in ProductionConfig
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "runs only in development" in result.output
    assert "Traceback" not in result.output
    assert users(app) == {}


def test_production_allows_no_demo_data():
    from webapp.infra.settings import Config, ProductionConfig, TestingConfig

    assert Config({}).DEMO_DATA_ALLOWED is True
    assert TestingConfig({}).DEMO_DATA_ALLOWED is True
    assert ProductionConfig({}).DEMO_DATA_ALLOWED is False
