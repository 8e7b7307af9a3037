"""Which handlers listen to which domain events: the whole wiring, in one place."""

from __future__ import annotations

from webapp.infra import metrics
from webapp.services import user_records
from webapp.services.events import after_commit, in_transaction
from webapp.services.shop import catalog
from webapp.services.wallet import accounts


def subscribe_event_handlers() -> None:
    # Part of the change: runs in the emitting transaction.
    in_transaction.connect(accounts.open_main_account, sender="user.created", weak=False)

    # Side effects: run after the commit, before the write returns.
    for event_type in user_records.USER_RECORD_EVENTS:
        after_commit.connect(user_records.invalidate_user_record, sender=event_type, weak=False)
    for event_type in catalog.PRODUCT_EVENTS + catalog.STOCK_EVENTS:
        after_commit.connect(catalog.invalidate_products, sender=event_type, weak=False)
    # Business counters: only what committed is counted.
    for event_type in metrics.COUNTED_EVENTS:
        after_commit.connect(metrics.count_event, sender=event_type, weak=False)
