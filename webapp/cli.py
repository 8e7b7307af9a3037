"""Operator commands: `flask create-admin`, `flask seed-demo`."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import with_appcontext

from webapp.errors import AppError
from webapp.models import Account
from webapp.models.account import MAIN_ACCOUNT_NAME
from webapp.services.accounts import AccountService
from webapp.services.auth import AuthService
from webapp.services.catalog import CatalogService
from webapp.services.ledger import LedgerService
from webapp.services.orders import LineRequest, OrderService
from webapp.services.users import UserService

DEMO_MEMBERS = (
    ("alice@example.com", "Alice Andersen"),
    ("bob@example.com", "Bob Brennan"),
    ("carol@example.com", "Carol Castillo"),
)
DEMO_ADMIN = ("admin@example.com", "Ada Admin")
WELCOME_CREDIT = 100_00  # minor units: 100.00 USD for each demo member
DEMO_PRODUCTS = (  # (sku, name, description, price, stock)
    ("MUG-01", "Tally mug", "A sturdy mug that holds exactly 350 ml.", 12_00, 40),
    ("TEE-01", "Tally T-shirt", "Organic cotton, printed with the ledger's first line.", 25_00, 25),
    ("PEN-01", "Fountain pen", "For signing off the books.", 18_50, 10),
    ("NB-01", "Notebook", "Squared paper, 120 pages, for double-entry by hand.", 6_50, 60),
    ("STK-01", "Sticker pack", "Ten stickers. Balance not included.", 3_00, 200),
)
DEMO_ORDER = ("alice@example.com", (("MUG-01", 1), ("NB-01", 2)))  # placed once
DEMO_TRANSFERS = (  # (from, to, amount, memo), made once, right after the welcome credits
    ("alice@example.com", "bob@example.com", 12_50, "Lunch"),
    ("bob@example.com", "carol@example.com", 5_00, "Coffee"),
    ("carol@example.com", "alice@example.com", 20_00, "Concert ticket"),
)
# Demo data only; override with DEMO_PASSWORD. Never used outside seed-demo.
DEFAULT_DEMO_PASSWORD = "tally-demo-password"


@click.command("create-admin")
@click.option("--email", prompt=True, help="The administrator's email.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Used only when the user does not exist yet.",
)
@click.option("--name", default="Administrator", show_default=True)
@with_appcontext
def create_admin(email: str, password: str, name: str) -> None:
    """Create an administrator, or promote an existing user. Safe to run again."""
    try:
        outcome = UserService().create_or_promote_admin(email=email, password=password, name=name)
    except AppError as error:
        details = "; ".join(f"{k}: {v}" for k, v in (error.details or {}).items())
        raise click.ClickException(f"{error.message} {details}".strip()) from error
    if outcome.created:
        click.echo(f"Created administrator {outcome.user.email}.")
    elif outcome.promoted:
        click.echo(f"Promoted {outcome.user.email} to administrator (password unchanged).")
    else:
        click.echo(f"{outcome.user.email} is already an administrator; nothing to do.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create demo members, an admin, balances, transfers, products and an order, all
    through the services.

    Safe to run again: what exists is left as it is.
    """
    password = os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
    users = UserService()
    steps = len(DEMO_MEMBERS) + 5
    for step, (email, name) in enumerate(DEMO_MEMBERS, start=1):
        if users.find_by_email(email) is not None:
            click.echo(f"[{step}/{steps}] member {email}: already there")
            continue
        users.register(email=email, password=password, name=name)
        click.echo(f"[{step}/{steps}] member {email}: created")

    step = len(DEMO_MEMBERS) + 1
    email, name = DEMO_ADMIN
    outcome = users.create_or_promote_admin(email=email, password=password, name=name)
    state = "created" if outcome.created else "promoted" if outcome.promoted else "already there"
    click.echo(f"[{step}/{steps}] admin {email}: {state}")

    admin = AuthService().acting_as(outcome.user.id)
    mains = {email: main_account_of(email) for email, _ in DEMO_MEMBERS}
    credited = [email for email, account in mains.items() if account.balance == 0]
    ledger = LedgerService()
    for email in credited:
        ledger.deposit(admin, mains[email].id, amount=WELCOME_CREDIT, memo="Welcome credit")
    click.echo(f"[{step + 1}/{steps}] welcome credits: {len(credited)} deposited")

    made = 0
    for sender, recipient, amount, memo in DEMO_TRANSFERS:
        if sender in credited and recipient in credited:
            ledger.transfer(
                AuthService().acting_as(mains[sender].user_id),
                from_account_id=mains[sender].id,
                to_account_id=mains[recipient].id,
                amount=amount,
                memo=memo,
            )
            made += 1
    click.echo(f"[{step + 2}/{steps}] demo transfers: {made} made")

    catalog = CatalogService()
    existing = {p.sku for p in catalog.list_all(limit=100).items}
    added = 0
    for sku, title, description, price, stock in DEMO_PRODUCTS:
        if sku not in existing:
            catalog.create(
                admin, sku=sku, name=title, description=description, price=price, stock=stock
            )
            added += 1
    click.echo(f"[{step + 3}/{steps}] products: {added} added")

    buyer_email, lines = DEMO_ORDER
    buyer = AuthService().acting_as(mains[buyer_email].user_id)
    orders = OrderService()
    placed = 0
    if not orders.list_for(buyer, limit=1).items:
        by_sku = {p.sku: p.id for p in catalog.list_all(limit=100).items}
        orders.place(
            buyer,
            account_id=mains[buyer_email].id,
            lines=[LineRequest(by_sku[sku], quantity) for sku, quantity in lines],
        )
        placed = 1
    click.echo(f"[{step + 4}/{steps}] demo orders: {placed} placed")
    if "DEMO_PASSWORD" in os.environ:
        click.echo("Demo data ready. Log in as any of them with DEMO_PASSWORD.")
    else:
        click.echo(f"Demo data ready. Log in as any of them with the password {password!r}.")


def main_account_of(email: str) -> Account:
    user = UserService().find_by_email(email)
    assert user is not None
    return next(a for a in AccountService().all_of(user.id) if a.name == MAIN_ACCOUNT_NAME)


@click.command("verify-ledger")
@with_appcontext
def verify_ledger() -> None:
    """Check every account's balance against its ledger entries; exit 1 on any mismatch."""
    report = LedgerService().verify()
    for account_id, balance, total in report.balance_mismatches:
        click.echo(f"account {account_id}: balance {balance} but its entries sum to {total}")
    for account_id, balance, after in report.last_entry_mismatches:
        click.echo(f"account {account_id}: balance {balance} but its last entry says {after}")
    for transaction_id, total in report.unbalanced_transactions:
        click.echo(f"transaction {transaction_id}: its entries sum to {total}, not 0")
    click.echo(
        f"Checked {report.accounts} accounts and {report.transactions} transactions: "
        + ("the ledger balances." if report.ok else "MISMATCHES FOUND.")
    )
    if not report.ok:
        raise SystemExit(1)


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(verify_ledger)
