"""The charts' geometry: the dashboard's bars (two per day, scaled to the busiest) and an
account's balance line, drawn with one frame, scale and set of day labels."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from webapp.web.chart import (
    HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    axis_ticks,
    bar_chart,
    line_chart,
    short_amount,
    value_ticks,
)

PLOT_HEIGHT = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
BASELINE = MARGIN_TOP + PLOT_HEIGHT


@dataclass(frozen=True)
class Day:
    day: date
    orders: int
    transfers: int


def fortnight(counts: dict[int, tuple[int, int]] | None = None) -> list[Day]:
    """14 days ending 2024-03-14; `counts` maps a day's index to (orders, transfers)."""
    first = date(2024, 3, 1)
    counts = counts or {}
    return [Day(first + timedelta(days=i), *counts.get(i, (0, 0))) for i in range(14)]


def test_every_day_has_a_group_of_an_orders_and_a_transfers_bar_oldest_first():
    chart = bar_chart(fortnight({3: (2, 1)}))
    assert len(chart.groups) == 14
    assert [g.label for g in chart.groups] == [f"03-{d:02d}" for d in range(1, 15)]
    for group in chart.groups:
        assert [bar.series for bar in group.bars] == ["orders", "transfers"]


def test_heights_are_scaled_to_the_highest_count_and_stand_on_the_baseline():
    chart = bar_chart(fortnight({0: (4, 2), 5: (1, 0)}))
    orders, transfers = chart.groups[0].bars
    assert orders.height == PLOT_HEIGHT
    assert transfers.height == PLOT_HEIGHT / 2
    assert chart.groups[5].bars[0].height == PLOT_HEIGHT / 4
    for group in chart.groups:
        for bar in group.bars:
            assert bar.y + bar.height == pytest.approx(BASELINE)
    assert chart.highest == 4
    assert (chart.total_orders, chart.total_transfers) == (5, 2)


def test_a_day_with_nothing_keeps_its_group_with_bars_of_height_zero():
    chart = bar_chart(fortnight({13: (3, 3)}))
    empty = chart.groups[0]
    assert [bar.height for bar in empty.bars] == [0, 0]
    assert [bar.value for bar in empty.bars] == [0, 0]
    assert empty.summary == "2024-03-01: 0 orders, 0 transfers"


def test_a_fortnight_with_nothing_at_all_draws_flat_bars_and_a_zero_axis():
    chart = bar_chart(fortnight())
    assert len(chart.groups) == 14
    assert {bar.height for group in chart.groups for bar in group.bars} == {0}
    assert [(tick.value, tick.y) for tick in chart.ticks] == [(0, BASELINE)]


def test_groups_sit_side_by_side_without_overlapping_inside_the_plot():
    chart = bar_chart(fortnight({i: (i, 14 - i) for i in range(14)}))
    edges = [(bar.x, bar.x + bar.width) for group in chart.groups for bar in group.bars]
    assert all(left < right for left, right in edges)
    assert all(a[1] <= b[0] + 0.1 for a, b in itertools.pairwise(edges))
    assert edges[0][0] >= chart.plot_left
    assert edges[-1][1] <= chart.plot_right
    label_xs = [group.label_x for group in chart.groups]
    assert label_xs == sorted(label_xs)


@pytest.mark.parametrize(
    ("highest", "ticks"), [(0, [0]), (1, [0, 1]), (2, [0, 1, 2]), (7, [0, 7]), (10, [0, 5, 10])]
)
def test_the_axis_labels_zero_the_highest_and_a_whole_middle(highest, ticks):
    assert axis_ticks(highest) == ticks


def test_each_tick_sits_at_the_height_of_its_value():
    chart = bar_chart(fortnight({2: (10, 0)}))
    assert [(tick.value, tick.y) for tick in chart.ticks] == [
        (0, BASELINE),
        (5, BASELINE - PLOT_HEIGHT / 2),
        (10, MARGIN_TOP),
    ]


def test_every_other_day_counted_back_from_today_is_minor_so_a_phone_can_drop_its_label():
    chart = bar_chart(fortnight())
    labelled = [g.label for g in chart.groups if not g.minor]
    assert labelled == [f"03-{d:02d}" for d in range(2, 15, 2)]
    assert chart.groups[-1].minor is False  # today is always labelled


# --- the balance line, drawn with the same frame, scale and day labels -----------------------


@dataclass(frozen=True)
class Balance:
    date: date
    balance: int


def month(balances: dict[int, int] | None = None, days: int = 30) -> list[Balance]:
    """`days` days ending 2024-03-30; `balances` maps a day's index to its balance."""
    first = date(2024, 3, 30) - timedelta(days=days - 1)
    balances = balances or {}
    return [Balance(first + timedelta(days=i), balances.get(i, 0)) for i in range(days)]


def test_a_line_has_a_point_per_day_left_to_right_across_the_plot():
    chart = line_chart(month({29: 100_00}), "USD")
    assert len(chart.points) == 30
    xs = [point.x for point in chart.points]
    assert xs == sorted(xs)
    assert (xs[0], xs[-1]) == (chart.plot_left, chart.plot_right)
    assert len(chart.path.split()) == 30
    assert chart.points[-1].y == MARGIN_TOP  # the highest balance at the top
    assert chart.points[0].y == chart.baseline_y  # zero on the baseline


def test_the_axis_has_round_amounts_from_zero_past_the_highest_balance():
    chart = line_chart(month({0: 730_00, 1: 120_00}), "USD")
    assert [tick.value for tick in chart.ticks] == [0, 200_00, 400_00, 600_00, 800_00]
    assert [tick.label for tick in chart.ticks] == ["0", "200", "400", "600", "800"]
    assert chart.points[0].y == pytest.approx(
        chart.baseline_y - (chart.baseline_y - MARGIN_TOP) * 730 / 800, abs=0.1
    )


@pytest.mark.parametrize(
    ("value", "currency", "label"),
    [
        (0, "USD", "0"),
        (50, "USD", "0.50"),
        (2_500_00, "USD", "2.5k"),
        (1_000, "JPY", "1k"),
        (-1_500_000_00, "EUR", "-1.5M"),
        (12_00, "USD", "12"),
        (25_000_000_000_00, "USD", "25B"),
    ],
)
def test_axis_amounts_are_short(value, currency, label):
    assert short_amount(value, currency) == label


def test_a_flat_zero_balance_draws_on_the_baseline_with_one_tick():
    chart = line_chart(month(), "USD")
    assert {point.y for point in chart.points} == {chart.baseline_y}
    assert [tick.value for tick in chart.ticks] == [0]


def test_about_eight_days_are_labelled_ending_today_and_a_phone_keeps_every_other():
    for days in (7, 30, 366):
        chart = line_chart(month(days=days), "USD")
        assert chart.day_labels[-1].text == "03-30"
        assert 1 <= len(chart.day_labels) <= 8
        kept = [label for label in chart.day_labels if not label.minor]
        assert kept[-1].text == "03-30" and len(kept) == (len(chart.day_labels) + 1) // 2


def test_one_day_is_a_point_in_the_middle():
    chart = line_chart(month({0: 5}, days=1), "USD")
    assert chart.points[0].x == pytest.approx((chart.plot_left + chart.plot_right) / 2, abs=0.1)


@pytest.mark.parametrize(
    ("lowest", "highest"),
    [(0, 1), (0, 7), (0, 99), (0, 2550), (-120, 4000), (5_00, 5_01), (-(10**14), 10**14), (-3, 0)],
)
def test_the_value_axis_covers_every_balance_and_zero_in_a_few_round_steps(lowest, highest):
    marks = value_ticks(lowest, highest)
    assert marks[0] <= min(lowest, 0) and marks[-1] >= max(highest, 0)
    assert 0 in marks and 2 <= len(marks) <= 6
    steps = {b - a for a, b in itertools.pairwise(marks)}
    assert len(steps) == 1 and re.fullmatch("[125]0*", str(steps.pop()))
