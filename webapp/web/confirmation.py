"""The one confirmation step before a destructive action (STYLE rule 20).

A destructive button is a link to its action's address plus `/confirm`: that GET page names
what will happen and to whom, changes nothing, and carries the CSRF-protected POST to the
action's own address (keeping its query, such as `next`) and a link back that keeps things."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import render_template, request

from webapp.web.forms import ActionForm

CONFIRM_SUFFIX = "/confirm"


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation page says: its question, the facts that name the target, its two
    choices. `act` is the button that acts, `keep` the link back to `back`."""

    question: str
    consequence: str
    act: str
    keep: str
    back: str
    facts: Sequence[tuple[str, str]] = field(default_factory=tuple)


def moment(at: datetime) -> str:
    """A time as the pages show it: `2026-12-07 14:05 UTC`."""
    return at.strftime("%Y-%m-%d %H:%M UTC")


def action_address() -> str:
    """The action this confirmation page is for: its own address without `/confirm`."""
    path = request.path.removesuffix(CONFIRM_SUFFIX)
    query = request.query_string.decode()
    return f"{path}?{query}" if query else path


def render_confirmation(confirmation: Confirmation) -> str:
    return render_template(
        "confirm.html",
        confirmation=confirmation,
        action_url=action_address(),
        action=ActionForm(),
    )
