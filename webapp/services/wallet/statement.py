"""An account's statement: its ledger lines over a range of days, as CSV for a spreadsheet.

The statement is streamed: the lines are read in keyset chunks of STATEMENT_CHUNK by id,
each chunk in a short read-only unit of work of its own, and written out before the next is
read. However long the statement, the server holds one chunk at a time, and no database
connection is held while the client reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from webapp.core.errors import ValidationError
from webapp.core.money import format_minor_units
from webapp.core.spreadsheet import csv_rows, text_cell
from webapp.models.base import utcnow
from webapp.repositories.ledger import StatementLine
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork
from webapp.services.wallet.accounts import visible_to
from webapp.services.wallet.lines import MEMBER_TYPES, Counterparty, other_members

STATEMENT_COLUMNS = (
    "date",
    "transactionId",
    "type",
    "counterparty",
    "memo",
    "amount",
    "balanceAfter",
    "currency",
)
MAX_STATEMENT_DAYS = 366
STATEMENT_CHUNK = 1000  # lines read per query

END_BEFORE_START = "The end date must be on or after the start date."
RANGE_TOO_LONG = (
    f"A statement covers at most {MAX_STATEMENT_DAYS} days. Choose an end date closer to the start."
)


@dataclass(frozen=True)
class StatementPeriod:
    """The days a statement covers, both included (UTC)."""

    start: date
    end: date


def default_period(today: date) -> StatementPeriod:
    """From the first day of `today`'s month to `today`."""
    return StatementPeriod(today.replace(day=1), today)


def today_utc() -> date:
    return utcnow().date()


def statement_period(start: date | None, end: date | None) -> StatementPeriod:
    """The period asked for, the defaults filling what was left out; at most
    MAX_STATEMENT_DAYS days, the start not after the end (ValidationError on `to`)."""
    default = default_period(today_utc())
    period = StatementPeriod(start or default.start, end or default.end)
    if period.end < period.start:
        raise ValidationError(details={"to": END_BEFORE_START})
    if (period.end - period.start).days + 1 > MAX_STATEMENT_DAYS:
        raise ValidationError(details={"to": RANGE_TOO_LONG})
    return period


@dataclass(frozen=True)
class Statement:
    account_id: int
    period: StatementPeriod
    text: Iterator[str]  # the CSV: the header row, then chunks of lines, oldest first

    @property
    def filename(self) -> str:
        start, end = self.period.start.isoformat(), self.period.end.isoformat()
        return f"tally-{self.account_id}-{start}-{end}.csv"


def iso_utc(moment: datetime) -> str:
    """An aware UTC datetime as the API writes one: 2026-12-07T10:30:00.250000Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def statement_row(line: StatementLine, counterparty: Counterparty | None) -> tuple[str, ...]:
    """One line as its CSV cells: text cells guarded against formulas, numbers as decimals."""
    return (
        iso_utc(line.created_at),
        str(line.transaction_id),
        text_cell(line.type),
        text_cell(counterparty.email if counterparty else ""),
        text_cell(line.memo or ""),
        format_minor_units(line.amount, line.currency),
        format_minor_units(line.balance_after, line.currency),
        line.currency,
    )


class StatementService:
    def statement(
        self, viewer: Principal, account_id: int, *, start: date | None, end: date | None
    ) -> Statement:
        """The account's statement over the period (defaults: this month so far). The period
        and access (owner or admin, else NotFound) are checked now; the lines are read as
        `text` is iterated, which must happen inside the request (a streamed response)."""
        period = statement_period(start, end)
        with UnitOfWork() as uow:
            account = visible_to(viewer, uow.accounts.find_member_account(account_id))
        return Statement(account.id, period, self._text(account.id, period))

    def _text(self, account_id: int, period: StatementPeriod) -> Iterator[str]:
        yield csv_rows([STATEMENT_COLUMNS])
        since = datetime.combine(period.start, time.min, tzinfo=UTC)
        until = datetime.combine(period.end, time.max, tzinfo=UTC)
        after_id = 0
        while True:
            with UnitOfWork() as uow:
                lines = uow.ledger.statement_chunk(
                    account_id, since=since, until=until, after_id=after_id, limit=STATEMENT_CHUNK
                )
                parties = other_members(
                    uow, [(n.entry_id, n.transaction_id) for n in lines if n.type in MEMBER_TYPES]
                )
            if lines:
                yield csv_rows(statement_row(n, parties.get(n.entry_id)) for n in lines)
            if len(lines) < STATEMENT_CHUNK:
                return
            after_id = lines[-1].entry_id
