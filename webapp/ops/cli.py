"""Operator commands: `flask create-admin`, `flask reset-second-factor`, `flask seed-demo`,
`flask verify-ledger`, `flask send-mail`, `flask purge-expired`, `flask worker`."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from webapp.core.errors import AppError
from webapp.infra import task_queue
from webapp.services import mail
from webapp.services.demo import DemoService
from webapp.services.housekeeping import HousekeepingService
from webapp.services.mfa.service import MfaService
from webapp.services.users.registration import RegistrationService
from webapp.services.wallet.ledger import LedgerService

# Demo data only; override with DEMO_PASSWORD. Never used outside seed-demo (make run's
# banner names it).
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
        outcome = RegistrationService().create_or_promote_admin(
            email=email, password=password, name=name
        )
    except AppError as error:
        details = "; ".join(f"{k}: {v}" for k, v in (error.details or {}).items())
        raise click.ClickException(f"{error.message} {details}".strip()) from error
    if outcome.created:
        click.echo(f"Created administrator {outcome.user.email}.")
    elif outcome.promoted:
        click.echo(f"Promoted {outcome.user.email} to administrator (password unchanged).")
    else:
        click.echo(f"{outcome.user.email} is already an administrator; nothing to do.")


@click.command("reset-second-factor")
@click.option("--email", required=True, help="The user whose second factor goes off.")
@with_appcontext
def reset_second_factor(email: str) -> None:
    """Turn anyone's second factor off, an admin's included (the app lets an admin reset a
    member's only). The user is mailed about it."""
    try:
        user = MfaService().reset_by_operator(email)
    except AppError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"The second factor of {user.email} is off; they were mailed about it.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create demo members, an admin, balances, transfers, products and an order, all
    through the services. Development only.

    Safe to run again: what exists is left as it is, and an account it did not create is
    never changed.
    """
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException(
            "seed-demo runs only in development (TALLY_ENV=development): its accounts have a "
            "published password. Use `flask create-admin` to make a real administrator."
        )
    password = os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
    for line in DemoService().seed(password):
        click.echo(line)
    if "DEMO_PASSWORD" in os.environ:
        click.echo("Demo data ready. Log in as any of them with DEMO_PASSWORD.")
    else:
        click.echo(f"Demo data ready. Log in as any of them with the password {password!r}.")


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


@click.command("send-mail")
@with_appcontext
def send_mail() -> None:
    """Send every mail still queued in the outbox (failed before, or never tried), without
    waiting for its next try; exit 1 when some could not be sent (they stay queued). Safe
    beside the workers: a mail one sender holds is skipped by the others."""
    report = mail.deliver(retrying=True)
    queued = mail.unsent_count()
    click.echo(f"Sent {report.sent} mails; {report.failed} failed; {queued} still queued.")
    if report.failed:
        raise SystemExit(1)


@click.command("purge-expired")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1, max=10_000),
    default=None,
    help="Rows per transaction (default: PURGE_BATCH_SIZE).",
)
@with_appcontext
def purge_expired(batch_size: int | None) -> None:
    """Delete expired idempotency keys, and sessions, refresh tokens, mailed links and sent
    mails ended longer ago than PURGE_RETENTION_DAYS, in short batches (the workers do it
    daily). Safe on every host at once: together the runs delete each row once."""
    report = HousekeepingService().purge_expired(batch_size=batch_size)
    for kind, count in report.deleted.items():
        click.echo(f"{kind}: {count} deleted")


@click.command("worker")
@click.option(
    "--threads",
    type=click.IntRange(min=1, max=64),
    default=1,
    show_default=True,
    help="Tasks this worker runs at once.",
)
@with_appcontext
def worker(threads: int) -> None:
    """Run one consumer of the task queue (TASK_QUEUE_URL): it sends mail and runs the
    periodic tasks (the mail sweep every minute, the purge daily). Run any number, on any
    hosts. Ctrl-C (SIGINT) stops it once its tasks end; SIGTERM stops it at once."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["TASK_QUEUE_IMMEDIATE"]:
        raise click.ClickException("TASK_QUEUE_IMMEDIATE runs tasks as they are queued: no worker.")
    task_queue.consumer(app, threads=threads).run()


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(reset_second_factor)
    app.cli.add_command(verify_ledger)
    app.cli.add_command(send_mail)
    app.cli.add_command(purge_expired)
    app.cli.add_command(worker)
