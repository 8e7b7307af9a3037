"""What admins see of the whole system: counts and sums, and the last days' activity.

Database figures are read in a few aggregate queries, a fixed number whatever the size
of the tables; cache and rate-limit figures are the counts `/metrics` shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from webapp.core.errors import ValidationError
from webapp.infra.metrics import observed_totals
from webapp.models.base import utcnow
from webapp.models.ledger import TX_TRANSFER
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork

ACTIVITY_DAYS = 14
MAX_ACTIVITY_DAYS = 366
RECENT_TRANSFERS_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Stats:
    users: int  # every user
    active_users: int
    accounts: int  # member accounts (not system ones)
    money_held: int  # sum of member balances, minor units (all currencies added up)
    orders: int  # every order
    revenue: int  # totals of orders still paid (cancelled ones were refunded), minor units
    transfers_24h: int  # transfer transactions in the last 24 h
    cache_hits: int
    cache_misses: int
    rate_limited: int
    # The two sums above, per currency: a sum across currencies is only a rough figure.
    money_held_by_currency: Mapping[str, int] = field(default_factory=dict)
    revenue_by_currency: Mapping[str, int] = field(default_factory=dict)

    @property
    def cache_hit_rate(self) -> float | None:
        """Hits over lookups, None before the first lookup."""
        lookups = self.cache_hits + self.cache_misses
        return self.cache_hits / lookups if lookups else None


@dataclass(frozen=True)
class DayActivity:
    day: date
    orders: int
    transfers: int


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class StatsService:
    def overview(self, viewer: Principal) -> Stats:
        """The system's figures now (admins only)."""
        viewer.require_admin()
        since = utcnow() - RECENT_TRANSFERS_WINDOW
        with UnitOfWork() as uow:
            users, active_users = uow.users.count_all_and_active()
            holdings = uow.accounts.member_holdings()
            order_totals = uow.orders.totals_by_currency()
            transfers_24h = uow.ledger.count_of_type_since(TX_TRANSFER, since)
        observed = observed_totals()
        return Stats(
            users=users,
            active_users=active_users,
            accounts=sum(count for count, _ in holdings.values()),
            money_held=sum(held for _, held in holdings.values()),
            orders=sum(count for count, _ in order_totals.values()),
            revenue=sum(revenue for _, revenue in order_totals.values()),
            transfers_24h=transfers_24h,
            cache_hits=observed.cache_hits,
            cache_misses=observed.cache_misses,
            rate_limited=observed.rate_limited,
            money_held_by_currency={c: held for c, (_, held) in sorted(holdings.items())},
            revenue_by_currency={c: revenue for c, (_, revenue) in sorted(order_totals.items())},
        )

    def daily_activity(
        self, viewer: Principal, *, days: int = ACTIVITY_DAYS, today: date | None = None
    ) -> list[DayActivity]:
        """Orders placed and transfers made per UTC day: exactly `days` entries, oldest first,
        ending with `today` (UTC today by default), days with nothing included (admins only)."""
        viewer.require_admin()
        if not 1 <= days <= MAX_ACTIVITY_DAYS:
            raise ValidationError(
                details={"days": f"The number of days must be 1 to {MAX_ACTIVITY_DAYS}."}
            )
        last = today if today is not None else utcnow().date()
        calendar = [last - timedelta(days=back) for back in range(days - 1, -1, -1)]
        bounds = [midnight(day) for day in calendar] + [midnight(last + timedelta(days=1))]
        with UnitOfWork() as uow:
            orders = uow.orders.count_placed_per_period(bounds)
            transfers = uow.ledger.count_of_type_per_period(TX_TRANSFER, bounds)
        return [
            DayActivity(day=day, orders=placed, transfers=moved)
            for day, placed, moved in zip(calendar, orders, transfers, strict=True)
        ]
