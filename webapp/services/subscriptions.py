"""Which handlers listen to which domain events: the whole wiring, in one place."""

from __future__ import annotations

from webapp.services import accounts
from webapp.services.events import in_transaction


def subscribe_event_handlers() -> None:
    # Part of the change: runs in the emitting transaction.
    in_transaction.connect(accounts.open_main_account, sender="user.created", weak=False)
