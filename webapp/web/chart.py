"""The admin dashboard's bar chart as geometry: day counts in, rectangles and labels out.

Pure (no Flask, no database), so the drawing is tested on its own; the template only
writes the numbers computed here into an inline SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

WIDTH = 720
HEIGHT = 260
MARGIN_LEFT = 52  # room for the value labels of the axis, drawn larger on a phone
MARGIN_RIGHT = 20  # room for half of the last day label, drawn larger on a phone
MARGIN_TOP = 12
MARGIN_BOTTOM = 36  # room for the day labels, drawn larger on a phone
# Of each day's slot: the two bars take this share, the rest is the gap between days.
BARS_SHARE = 0.7


class DayCounts(Protocol):
    """What a day of activity must tell (webapp.services.stats.DayActivity does)."""

    @property
    def day(self) -> date: ...

    @property
    def orders(self) -> int: ...

    @property
    def transfers(self) -> int: ...


@dataclass(frozen=True)
class Bar:
    series: str  # "orders" or "transfers"
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class BarGroup:
    day: date
    label: str  # "03-14"
    label_x: float
    bars: tuple[Bar, Bar]
    # Every other day counted back from the last: its label is left out on a narrow screen,
    # where fourteen labels drawn large enough to read do not fit side by side.
    minor: bool = False

    @property
    def summary(self) -> str:
        orders, transfers = self.bars
        return f"{self.day.isoformat()}: {orders.value} orders, {transfers.value} transfers"


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    baseline_y: float
    label_y: float
    groups: list[BarGroup]
    ticks: list[Tick]
    highest: int

    @property
    def total_orders(self) -> int:
        return sum(group.bars[0].value for group in self.groups)

    @property
    def total_transfers(self) -> int:
        return sum(group.bars[1].value for group in self.groups)


def _rounded(value: float) -> float:
    return round(value, 1)


def axis_ticks(highest: int) -> list[int]:
    """The values labelled on the axis: 0, the highest, and a middle one when it is whole."""
    if highest <= 0:
        return [0]
    middle = [highest // 2] if highest % 2 == 0 and highest >= 2 else []
    return [0, *middle, highest]


def bar_chart(days: Sequence[DayCounts]) -> BarChart:
    """Two bars per day (orders, transfers), heights scaled to the highest count of all;
    a day with nothing keeps its group, with bars of height 0."""
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    baseline = MARGIN_TOP + plot_height
    highest = max((max(d.orders, d.transfers) for d in days), default=0)
    slot = plot_width / len(days) if days else plot_width
    bar_width = slot * BARS_SHARE / 2

    def height_of(value: int) -> float:
        return plot_height * value / highest if highest else 0.0

    def bar(series: str, value: int, x: float) -> Bar:
        height = height_of(value)
        return Bar(
            series=series,
            value=value,
            x=_rounded(x),
            y=_rounded(baseline - height),
            width=_rounded(bar_width),
            height=_rounded(height),
        )

    groups = []
    for index, counts in enumerate(days):
        left = MARGIN_LEFT + index * slot + slot * (1 - BARS_SHARE) / 2
        groups.append(
            BarGroup(
                day=counts.day,
                label=counts.day.strftime("%m-%d"),
                label_x=_rounded(MARGIN_LEFT + index * slot + slot / 2),
                bars=(
                    bar("orders", counts.orders, left),
                    bar("transfers", counts.transfers, left + bar_width),
                ),
                minor=(len(days) - 1 - index) % 2 == 1,
            )
        )
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=MARGIN_LEFT,
        plot_right=WIDTH - MARGIN_RIGHT,
        baseline_y=baseline,
        label_y=baseline + MARGIN_BOTTOM * 0.7,
        groups=groups,
        ticks=[Tick(value, _rounded(baseline - height_of(value))) for value in axis_ticks(highest)],
        highest=highest,
    )
