"""The admins' figures match the database after a scripted set of actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.support.clients import PASSWORD
from webapp.core.errors import Forbidden, ValidationError
from webapp.infra import metrics
from webapp.infra.extensions import db
from webapp.models import LedgerTransaction, Order
from webapp.models.base import utcnow
from webapp.services.auth import AuthService
from webapp.services.principal import Principal
from webapp.services.shop.catalog import CatalogService
from webapp.services.shop.orders import LineRequest, OrderService
from webapp.services.stats import DayActivity, Stats, StatsService, midnight
from webapp.services.users.administration import UserAdminService
from webapp.services.users.registration import RegistrationService
from webapp.services.wallet.accounts import AccountService
from webapp.services.wallet.ledger import LedgerService

pytestmark = pytest.mark.usefixtures("app_context")


def new_member(email: str) -> Principal:
    user = RegistrationService().register(email=email, password=PASSWORD, name=email.split("@")[0])
    return AuthService().acting_as(user.id)


def main_account(who: Principal) -> int:
    return AccountService().all_of(who.user_id)[0].id


def backdate(model: type, row_id: int, at: datetime) -> None:
    """Move a row's creation into the past (the services only ever write now)."""
    with db.engine.begin() as connection:
        connection.execute(update(model).where(model.id == row_id).values(created_at=at))


def send(sender: Principal, recipient: Principal, amount: int) -> LedgerTransaction:
    return LedgerService().transfer(
        sender,
        from_account_id=main_account(sender),
        to_account_id=main_account(recipient),
        amount=amount,
    )


@pytest.fixture
def mug(admin_principal: Principal) -> int:
    return (
        CatalogService().create(admin_principal, sku="MUG", name="Mug", price=12_50, stock=100).id
    )


def test_overview_matches_the_database_after_a_scripted_day(admin_principal, mug):
    alice, bob, carol = (
        new_member("alice@example.com"),
        new_member("bob@example.com"),
        new_member("c@x.io"),
    )
    AccountService().open(alice, name="Savings", currency="EUR")
    ledger = LedgerService()
    ledger.deposit(admin_principal, main_account(alice), amount=100_00)
    ledger.deposit(admin_principal, main_account(bob), amount=50_00)
    kept = OrderService().place(alice, account_id=main_account(alice), lines=[LineRequest(mug, 2)])
    cancelled = OrderService().place(bob, account_id=main_account(bob), lines=[LineRequest(mug, 1)])
    OrderService().cancel(bob, cancelled.id)
    send(alice, bob, 10_00)
    send(bob, carol, 5_00)
    old = send(alice, carol, 1_00)
    backdate(LedgerTransaction, old.id, utcnow() - timedelta(hours=24, minutes=1))
    UserAdminService().update_by_admin(admin_principal.user_id, carol.user_id, is_active=False)

    observed = metrics.observed_totals()
    stats = StatsService().overview(admin_principal)

    assert isinstance(stats, Stats)
    assert (stats.users, stats.active_users) == (4, 3)
    assert stats.accounts == 5  # four "Main" and alice's savings; system accounts left out
    # Money in: 150.00 deposited; money out: the kept order (25.00) went to the shop.
    assert stats.money_held == 150_00 - 25_00
    assert stats.money_held_by_currency == {"EUR": 0, "USD": 125_00}
    assert (stats.orders, stats.revenue) == (2, kept.total)
    assert stats.revenue_by_currency == {"USD": 25_00}
    assert stats.transfers_24h == 2
    assert stats.cache_hits >= observed.cache_hits
    assert stats.cache_misses >= observed.cache_misses
    assert stats.rate_limited == observed.rate_limited


def test_an_empty_system_has_zero_figures_and_no_hit_rate(admin_principal):
    stats = StatsService().overview(admin_principal)
    assert (stats.users, stats.active_users, stats.accounts, stats.money_held) == (1, 1, 1, 0)
    assert (stats.orders, stats.revenue, stats.transfers_24h) == (0, 0, 0)


def test_cache_hit_rate_is_hits_over_lookups_and_none_before_any():
    def with_cache(hits: int, misses: int) -> Stats:
        return Stats(0, 0, 0, 0, 0, 0, 0, cache_hits=hits, cache_misses=misses, rate_limited=0)

    assert with_cache(0, 0).cache_hit_rate is None
    assert with_cache(3, 1).cache_hit_rate == 0.75


def test_cache_and_rate_limit_figures_are_the_metrics_counts(admin_principal, monkeypatch):
    monkeypatch.setattr(
        "webapp.services.stats.observed_totals",
        lambda: metrics.ObservedTotals(cache_hits=7, cache_misses=3, rate_limited=2),
    )
    stats = StatsService().overview(admin_principal)
    assert (stats.cache_hits, stats.cache_misses, stats.rate_limited) == (7, 3, 2)
    assert stats.cache_hit_rate == 0.7


def test_daily_activity_is_14_days_oldest_first_with_empty_days(admin_principal, mug):
    alice, bob = new_member("alice@example.com"), new_member("bob@example.com")
    LedgerService().deposit(admin_principal, main_account(alice), amount=1000_00)
    today = datetime(2026, 11, 24, tzinfo=UTC).date()

    def order_on(at: datetime) -> None:
        placed = OrderService().place(
            alice, account_id=main_account(alice), lines=[LineRequest(mug, 1)]
        )
        backdate(Order, placed.id, at)

    def transfer_on(at: datetime) -> None:
        backdate(LedgerTransaction, send(alice, bob, 1).id, at)

    order_on(midnight(today) + timedelta(hours=23, minutes=59))
    order_on(midnight(today))  # the first instant of a day belongs to it
    order_on(midnight(today) - timedelta(microseconds=1))  # the last instant of yesterday
    order_on(midnight(today - timedelta(days=13)) + timedelta(hours=12))  # the oldest day
    order_on(midnight(today - timedelta(days=14)) + timedelta(hours=12))  # one day too old
    order_on(midnight(today + timedelta(days=1)))  # tomorrow: not in a window ending today
    transfer_on(midnight(today - timedelta(days=3)) + timedelta(hours=1))
    transfer_on(midnight(today - timedelta(days=3)) + timedelta(hours=2))
    transfer_on(midnight(today - timedelta(days=20)))

    activity = StatsService().daily_activity(admin_principal, today=today)

    assert len(activity) == 14
    assert all(isinstance(entry, DayActivity) for entry in activity)
    assert [entry.day for entry in activity] == [
        today - timedelta(days=back) for back in range(13, -1, -1)
    ]
    by_day = {(today - entry.day).days: (entry.orders, entry.transfers) for entry in activity}
    assert by_day == {
        0: (2, 0),
        1: (1, 0),
        3: (0, 2),
        13: (1, 0),
        **{back: (0, 0) for back in (2, 4, 5, 6, 7, 8, 9, 10, 11, 12)},
    }


def test_daily_activity_ends_today_by_default_and_takes_other_lengths(admin_principal):
    activity = StatsService().daily_activity(admin_principal, days=3)
    assert [entry.day for entry in activity][-1] == utcnow().date()
    assert len(activity) == 3
    assert all((entry.orders, entry.transfers) == (0, 0) for entry in activity)
    with pytest.raises(ValidationError):
        StatsService().daily_activity(admin_principal, days=0)


def test_daily_activity_runs_two_queries_whatever_the_number_of_days(
    admin_principal, count_statements
):
    counts = []
    for days in (1, 14, 90):
        with count_statements() as counter:
            StatsService().daily_activity(admin_principal, days=days)
        counts.append(counter.count)
    assert counts[0] == counts[1] == counts[2] <= 3  # orders, transfers (and SQLite's BEGIN)


def test_members_see_no_figures(admin_principal):
    alice = new_member("alice@example.com")
    with pytest.raises(Forbidden):
        StatsService().overview(alice)
    with pytest.raises(Forbidden):
        StatsService().daily_activity(alice)
