"""An account's balance over time: its closing balance on each UTC day of a range.

Read from the ledger lines, the numbers `flask verify-ledger` checks: the balanceAfter of
the last line before the range, then of each day's last line; a day without a line keeps
the day before's. Two queries, whatever the number of days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from webapp.core.dates import parse_date
from webapp.core.errors import ValidationError
from webapp.models import Account
from webapp.models.base import utcnow
from webapp.services.principal import Principal
from webapp.services.stats import midnight
from webapp.services.unit_of_work import UnitOfWork
from webapp.services.wallet.accounts import visible_to

DEFAULT_DAYS = 30
MAX_DAYS = 366
NOT_A_DAY = "Enter a date as YYYY-MM-DD."
BACKWARDS = "The start date must not be after the end date."
TOO_LONG = f"The range must be at most {MAX_DAYS} days long."
RANGE_RULES = (BACKWARDS, TOO_LONG)


@dataclass(frozen=True)
class DayBalance:
    date: date
    balance: int  # minor units, at the end of the UTC day


@dataclass(frozen=True)
class BalanceHistory:
    account: Account
    days: list[DayBalance]  # oldest first, one per day of the range


def read_day(text: str | None, field: str) -> date | None:
    """'2024-03-01' as a date; None when not given; ValidationError naming `field` otherwise."""
    if text is None or text == "":
        return None
    try:
        return parse_date(text)
    except ValueError:
        raise ValidationError(details={field: NOT_A_DAY}) from None


def day_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The range asked for, both ends included: `to` defaults to today, `from` to the
    DEFAULT_DAYS days ending at `to`; at most MAX_DAYS days, `from` not after `to`."""
    try:
        last = end if end is not None else today
        first = start if start is not None else last - timedelta(days=DEFAULT_DAYS - 1)
        last + timedelta(days=1)  # the end of the range must be a day too
    except OverflowError:
        # Only a `to` at the very ends of the calendar leaves no room for the range.
        raise ValidationError(details={"to": NOT_A_DAY}) from None
    if first > last:
        raise ValidationError(details={"from": BACKWARDS})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError(details={"from": TOO_LONG})
    return first, last


class BalanceHistoryService:
    def history(
        self,
        viewer: Principal,
        account_id: int,
        *,
        start: str | None = None,
        end: str | None = None,
        today: date | None = None,
    ) -> BalanceHistory:
        """The account's closing balance on each UTC day from `start` to `end` (both
        'YYYY-MM-DD', both included; the last DEFAULT_DAYS days by default), for its owner
        or an admin (NotFound for anyone else)."""
        first, last = day_range(
            read_day(start, "from"), read_day(end, "to"), today or utcnow().date()
        )
        with UnitOfWork() as uow:
            account = visible_to(viewer, uow.accounts.find_member_account(account_id))
            balance = uow.ledger.balance_before(account.id, midnight(first))
            closing = uow.ledger.closing_balances(
                account.id, midnight(first), midnight(last + timedelta(days=1))
            )
        days = []
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            balance = closing.get(day, balance)
            days.append(DayBalance(day, balance))
        return BalanceHistory(account=account, days=days)
