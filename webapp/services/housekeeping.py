"""Sweeping the tables of expiring rows: `flask purge-expired`, and daily on the workers.

Each batch is its own short transaction (a few hundred rows, oldest first), so a sweep never
holds a long lock and the app keeps writing beside it; on PostgreSQL a batch skips rows
another sweeper holds, so the command and the daily `housekeeping.purge` task are safe on
every host at once and the counts of all of them together remove each row exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from huey import crontab

from webapp.infra import task_queue
from webapp.models.base import utcnow
from webapp.services.unit_of_work import UnitOfWork, transaction

# One batch: given the unit of work and the batch size, how many rows it deleted.
Sweep = Callable[[UnitOfWork, int], int]


@dataclass(frozen=True)
class PurgeReport:
    """Rows deleted, per kind, in the order swept."""

    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


class HousekeepingService:
    def purge_expired(
        self, *, now: datetime | None = None, batch_size: int | None = None
    ) -> PurgeReport:
        """Delete idempotency keys past their expiry, and sessions, refresh tokens, mailed
        links and sent mails that ended longer ago than PURGE_RETENTION_DAYS."""
        config = current_app.config
        now = now or utcnow()
        size = batch_size or config["PURGE_BATCH_SIZE"]
        kept = now - timedelta(days=config["PURGE_RETENTION_DAYS"])
        # Expired refresh tokens first, so each is counted as one; a session's tokens that
        # were still unexpired when it ended go with it (ON DELETE CASCADE).
        sweeps: dict[str, Sweep] = {
            "idempotency_keys": lambda uow, n: uow.idempotency_keys.delete_expired(now, limit=n),
            "refresh_tokens": lambda uow, n: uow.refresh_tokens.delete_expired(kept, limit=n),
            "auth_sessions": lambda uow, n: uow.sessions.delete_ended(kept, limit=n),
            "link_tokens": lambda uow, n: uow.link_tokens.delete_expired(kept, limit=n),
            "outbox_mails": lambda uow, n: uow.outbox.delete_sent(kept, limit=n),
        }
        return PurgeReport({name: self._sweep(sweep, size) for name, sweep in sweeps.items()})

    @staticmethod
    def _sweep(sweep: Sweep, size: int) -> int:
        deleted = 0
        while True:
            removed = transaction(lambda uow: sweep(uow, size))
            deleted += removed
            if removed < size:
                return deleted


PURGE_TASK = "housekeeping.purge"


@task_queue.periodic_task(PURGE_TASK, crontab(hour="3", minute="17"))
def purge_daily() -> None:
    """Every day at 03:17 UTC, on every worker: what `flask purge-expired` does."""
    HousekeepingService().purge_expired()
