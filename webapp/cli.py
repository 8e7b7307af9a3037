"""Operator commands: `flask create-admin`, `flask seed-demo`."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import with_appcontext

from webapp.errors import AppError
from webapp.services.users import UserService

DEMO_MEMBERS = (
    ("alice@example.com", "Alice Andersen"),
    ("bob@example.com", "Bob Brennan"),
    ("carol@example.com", "Carol Castillo"),
)
DEMO_ADMIN = ("admin@example.com", "Ada Admin")
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
    """Create demo members and an administrator through the services. Safe to run again."""
    password = os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
    users = UserService()
    steps = len(DEMO_MEMBERS) + 1
    for step, (email, name) in enumerate(DEMO_MEMBERS, start=1):
        if users.find_by_email(email) is not None:
            click.echo(f"[{step}/{steps}] member {email}: already there")
            continue
        users.register(email=email, password=password, name=name)
        click.echo(f"[{step}/{steps}] member {email}: created")
    email, name = DEMO_ADMIN
    outcome = users.create_or_promote_admin(email=email, password=password, name=name)
    state = "created" if outcome.created else "promoted" if outcome.promoted else "already there"
    click.echo(f"[{steps}/{steps}] admin {email}: {state}")
    if "DEMO_PASSWORD" in os.environ:
        click.echo("Demo data ready. Log in as any of them with DEMO_PASSWORD.")
    else:
        click.echo(f"Demo data ready. Log in as any of them with the password {password!r}.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
