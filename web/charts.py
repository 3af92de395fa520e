"""Server-rendered bar charts: the geometry of each bar worked out here, drawn as SVG by
`templates/_bars.html`. No JavaScript; every chart has a table beside it with the same figures."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 300  # the longest bar, in the SVG's own units (the drawing is 400 wide)
ROW = 48  # a label line above each bar


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
    shown_values = [None if v is None else round(v, 1) for _, v in items]  # as the bar is labelled
    top = scale if scale is not None else max((v for v in shown_values if v is not None), default=0.0)
    drawn = []
    for i, ((label, _), value) in enumerate(zip(items, shown_values, strict=True)):
        width = 0.0 if value is None or top <= 0 else WIDTH * min(value, top) / top
        shown = "none" if value is None else f"{value:g}{unit}"
        drawn.append(Bar(label, value or 0.0, shown, i * ROW, round(width, 1)))
    return Chart(title, drawn, len(drawn) * ROW)
