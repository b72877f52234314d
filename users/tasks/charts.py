"""SVG charts drawn by the server (the operations page): the geometry is computed here and
users/templates/users/bar_chart.svg draws it; no JavaScript, no CDN, colours from the site's
stylesheet (classes, never inline styles: the CSP allows none)."""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    css_class: str
    title: str


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    text_y: float
    segments: list[Segment]
    value_text: str
    value_x: float


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]
    unit: str
    scale_max: float


# One row: its label, then (name, value, css class) pieces stacked left to right.
Row = tuple[str, Sequence[tuple[str, float, str]]]

LABEL_WIDTH = 150
PLOT_WIDTH = 420
VALUE_WIDTH = 90
ROW_HEIGHT = 24
BAR_HEIGHT = 16
TOP = 8


def bar_chart(title: str, description: str, rows: Sequence[Row], *, unit: str) -> BarChart:
    """Horizontal stacked bars on one scale (the largest row fills the plot)."""
    totals = [sum(value for _, value, _ in pieces) for _, pieces in rows]
    scale_max = max([*totals, 0.0]) or 1.0
    bars = []
    for index, ((label, pieces), total) in enumerate(zip(rows, totals, strict=True)):
        y = TOP + index * ROW_HEIGHT
        x = float(LABEL_WIDTH)
        segments = []
        for name, value, css_class in pieces:
            width = PLOT_WIDTH * value / scale_max
            segments.append(
                Segment(round(x, 1), round(width, 1), css_class, f"{name}: {value:g} {unit}")
            )
            x += width
        bars.append(
            Bar(
                label=label,
                y=y,
                text_y=y + BAR_HEIGHT - 4,
                segments=segments,
                value_text=f"{total:.3g} {unit}",
                value_x=round(x + 6, 1),
            )
        )
    return BarChart(
        title=title,
        description=description,
        width=LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
        height=TOP * 2 + max(1, len(rows)) * ROW_HEIGHT,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        bars=bars,
        unit=unit,
        scale_max=scale_max,
    )
