"""Charts of days as geometry: numbers per day in, shapes and labels out.

One drawing for every chart: a `Frame` (the drawing's size, its plot area and the room
left around it for the labels), a vertical `Scale` with its labelled `Tick`s, and a label
per day under the plot, of which every other one may be dropped on a narrow screen. The
admin dashboard's bar chart and an account's balance line are two small users of it.

Pure (no Flask, no database), so the drawing is tested on its own; the templates only
write the numbers computed here into an inline SVG (the `chart_axes` macro draws the axes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from webapp.core.money import exponent

WIDTH = 720
HEIGHT = 260
MARGIN_LEFT = 52  # room for the value labels of the axis, drawn larger on a phone
MARGIN_RIGHT = 20  # room for half of the last day label, drawn larger on a phone
MARGIN_TOP = 12
MARGIN_BOTTOM = 36  # room for the day labels, drawn larger on a phone
# Of each day's slot: the two bars take this share, the rest is the gap between days.
BARS_SHARE = 0.7
# A balance's labels are amounts ("-12.5k"): wider than a count's.
LINE_MARGIN_LEFT = 92
LINE_MARGIN_RIGHT = 48  # half of the last day label, drawn larger on a phone
# At most this many day labels under a line (then half of them on a phone).
LINE_DAY_LABELS = 8


def _rounded(value: float) -> float:
    return round(value, 1)


@dataclass(frozen=True)
class Frame:
    """The drawing, and the plot inside it: values go up from `baseline_y` to `top`."""

    width: int = WIDTH
    height: int = HEIGHT
    margin_left: int = MARGIN_LEFT
    margin_right: int = MARGIN_RIGHT
    margin_top: int = MARGIN_TOP
    margin_bottom: int = MARGIN_BOTTOM

    @property
    def plot_left(self) -> float:
        return self.margin_left

    @property
    def plot_right(self) -> float:
        return self.width - self.margin_right

    @property
    def plot_width(self) -> float:
        return self.plot_right - self.plot_left

    @property
    def top(self) -> float:
        return self.margin_top

    @property
    def baseline_y(self) -> float:
        return self.height - self.margin_bottom

    @property
    def plot_height(self) -> float:
        return self.baseline_y - self.top

    @property
    def label_y(self) -> float:
        """Where the day labels' text stands, under the plot."""
        return self.baseline_y + self.margin_bottom * 0.7


@dataclass(frozen=True)
class Scale:
    """Values from `low` (drawn on the baseline) to `high` (drawn at the top)."""

    frame: Frame
    low: int
    high: int

    def height(self, value: int) -> float:
        """How far above the baseline `value` is drawn."""
        if self.high == self.low:
            return 0.0
        return self.frame.plot_height * (value - self.low) / (self.high - self.low)

    def y(self, value: int) -> float:
        return _rounded(self.frame.baseline_y - self.height(value))


@dataclass(frozen=True)
class Tick:
    value: int
    y: float
    label: str


@dataclass(frozen=True)
class DayLabel:
    text: str  # "03-14"
    x: float
    # Left out on a narrow screen, where every label drawn large enough to read does not fit.
    minor: bool = False


@dataclass(frozen=True)
class Chart:
    """What every chart draws its axes with (the `chart_axes` macro reads it)."""

    frame: Frame
    ticks: list[Tick]

    @property
    def width(self) -> int:
        return self.frame.width

    @property
    def height(self) -> int:
        return self.frame.height

    @property
    def plot_left(self) -> float:
        return self.frame.plot_left

    @property
    def plot_right(self) -> float:
        return self.frame.plot_right

    @property
    def baseline_y(self) -> float:
        return self.frame.baseline_y

    @property
    def label_y(self) -> float:
        return self.frame.label_y


def ticks_of(scale: Scale, values: Sequence[int], label: Callable[[int], str] = str) -> list[Tick]:
    return [Tick(value, scale.y(value), label(value)) for value in values]


def day_label(day: date, x: float, *, minor: bool = False) -> DayLabel:
    return DayLabel(day.strftime("%m-%d"), _rounded(x), minor)


def every_other_back_from_last(index: int, count: int) -> bool:
    """Whether the day at `index` of `count` is every other one counted back from the last:
    the last (today) is always kept."""
    return (count - 1 - index) % 2 == 1


# --- the admin dashboard's bars -------------------------------------------------------------


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
    bars: tuple[Bar, Bar]
    day_label: DayLabel

    @property
    def label(self) -> str:
        return self.day_label.text

    @property
    def label_x(self) -> float:
        return self.day_label.x

    @property
    def minor(self) -> bool:
        return self.day_label.minor

    @property
    def summary(self) -> str:
        orders, transfers = self.bars
        return f"{self.day.isoformat()}: {orders.value} orders, {transfers.value} transfers"


@dataclass(frozen=True)
class BarChart(Chart):
    groups: list[BarGroup]
    highest: int

    @property
    def total_orders(self) -> int:
        return sum(group.bars[0].value for group in self.groups)

    @property
    def total_transfers(self) -> int:
        return sum(group.bars[1].value for group in self.groups)


def axis_ticks(highest: int) -> list[int]:
    """The values labelled on the axis: 0, the highest, and a middle one when it is whole."""
    if highest <= 0:
        return [0]
    middle = [highest // 2] if highest % 2 == 0 and highest >= 2 else []
    return [0, *middle, highest]


def bar_chart(days: Sequence[DayCounts]) -> BarChart:
    """Two bars per day (orders, transfers), heights scaled to the highest count of all;
    a day with nothing keeps its group, with bars of height 0. Every day is labelled."""
    frame = Frame()
    highest = max((max(d.orders, d.transfers) for d in days), default=0)
    scale = Scale(frame, 0, highest)
    slot = frame.plot_width / len(days) if days else frame.plot_width
    bar_width = slot * BARS_SHARE / 2

    def bar(series: str, value: int, x: float) -> Bar:
        height = scale.height(value)
        return Bar(
            series=series,
            value=value,
            x=_rounded(x),
            y=_rounded(frame.baseline_y - height),
            width=_rounded(bar_width),
            height=_rounded(height),
        )

    groups = []
    for index, counts in enumerate(days):
        left = frame.plot_left + index * slot + slot * (1 - BARS_SHARE) / 2
        groups.append(
            BarGroup(
                day=counts.day,
                bars=(
                    bar("orders", counts.orders, left),
                    bar("transfers", counts.transfers, left + bar_width),
                ),
                day_label=day_label(
                    counts.day,
                    frame.plot_left + index * slot + slot / 2,
                    minor=every_other_back_from_last(index, len(days)),
                ),
            )
        )
    return BarChart(
        frame=frame,
        groups=groups,
        ticks=ticks_of(scale, axis_ticks(highest)),
        highest=highest,
    )


# --- an account's balance line ----------------------------------------------------------------


class DayAmount(Protocol):
    """A day's amount (webapp.services.wallet.balance_history.DayBalance is one)."""

    @property
    def date(self) -> date: ...

    @property
    def balance(self) -> int: ...


@dataclass(frozen=True)
class Point:
    day: date
    value: int
    x: float
    y: float


@dataclass(frozen=True)
class LineChart(Chart):
    points: list[Point]
    day_labels: list[DayLabel]
    currency: str

    @property
    def path(self) -> str:
        """The line through every point, as an SVG polyline's `points`."""
        return " ".join(f"{point.x},{point.y}" for point in self.points)

    @property
    def lowest(self) -> int:
        return min((point.value for point in self.points), default=0)

    @property
    def highest(self) -> int:
        return max((point.value for point in self.points), default=0)


def nice_step(span: int, parts: int = 4) -> int:
    """The round step (1, 2 or 5 times a power of ten) that cuts `span` into at most about
    `parts` parts."""
    rough = max(span / parts, 1)
    power = 10 ** math.floor(math.log10(rough))
    for factor in (1, 2, 5):
        if factor * power >= rough:
            return factor * power
    return 10 * power


def value_ticks(lowest: int, highest: int) -> list[int]:
    """Round values from at or under min(lowest, 0) to at or over max(highest, 0)."""
    low, high = min(lowest, 0), max(highest, 0)
    if low == high:
        return [0]
    step = nice_step(high - low)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [n * step for n in range(first, last + 1)]


def short_amount(value: int, currency: str) -> str:
    """An axis label for minor units: whole major units, "k", "M" and "B" for thousands,
    millions and billions ("1.5k"), decimals only where the value has them."""
    major = value / 10 ** exponent(currency)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if abs(major) >= size:
            return f"{major / size:.3g}{suffix}"
    return f"{major:.{exponent(currency)}f}" if major != int(major) else f"{int(major)}"


def line_chart(days: Sequence[DayAmount], currency: str) -> LineChart:
    """The balance at the end of each day, joined by a line, over an axis of round amounts
    that includes 0; about LINE_DAY_LABELS days labelled, the last one always."""
    frame = Frame(margin_left=LINE_MARGIN_LEFT, margin_right=LINE_MARGIN_RIGHT)
    values = [day.balance for day in days]
    marks = value_ticks(min(values, default=0), max(values, default=0))
    scale = Scale(frame, marks[0], marks[-1])
    gap = frame.plot_width / (len(days) - 1) if len(days) > 1 else 0.0

    def x_of(index: int) -> float:
        if len(days) == 1:
            return frame.plot_left + frame.plot_width / 2
        return frame.plot_left + index * gap

    points = [
        Point(day.date, day.balance, _rounded(x_of(index)), scale.y(day.balance))
        for index, day in enumerate(days)
    ]
    every = max(1, math.ceil(len(days) / LINE_DAY_LABELS))
    labelled = [i for i in range(len(days) - 1, -1, -every)][::-1]
    day_labels = [
        day_label(days[i].date, x_of(i), minor=every_other_back_from_last(n, len(labelled)))
        for n, i in enumerate(labelled)
    ]
    return LineChart(
        frame=frame,
        points=points,
        ticks=ticks_of(scale, marks, lambda value: short_amount(value, currency)),
        day_labels=day_labels,
        currency=currency,
    )
