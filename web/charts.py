"""Server-rendered bar charts: the geometry of each bar worked out here, drawn as SVG by
`templates/_bars.html`. No JavaScript; every chart has a table beside it with the same figures."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 320  # the longest bar, in the SVG's own units
ROW = 28


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the bar's end label reads it
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    height: int


def bars(
    title: str, items: list[tuple[str, float | None]], *, scale: float | None = None, unit: str = ""
) -> Chart:
    """One bar per (label, value); a missing value draws no bar and reads "none". `scale` is the value
    of a full-length bar (100 for a percentage), else the largest value."""
    top = scale if scale is not None else max((v for _, v in items if v is not None), default=0.0)
    drawn = []
    for i, (label, value) in enumerate(items):
        width = 0.0 if value is None or top <= 0 else WIDTH * min(value, top) / top
        shown = "none" if value is None else f"{value:g}{unit}"
        drawn.append(Bar(label, value or 0.0, shown, i * ROW, round(width, 1)))
    return Chart(title, drawn, max(ROW, len(drawn) * ROW))
