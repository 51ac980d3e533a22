"""Line charts drawn on the server as inline SVG, and their text alternative: pure, no Flask.

Presentation shared by the patient's progress page and the clinician's patient page (see
aftercare/clinic/charts.py for the charts that page builds from a patient's records).

The Content-Security-Policy allows no inline styles, so the SVG carries presentation attributes
(fill, stroke, stroke-dasharray) and class names for static/css/charts.css; it reads the same
without the stylesheet. Times go in as aware datetimes and are shown in the clinic's zone.

A chart is role="img", named by its <title> and <desc>; screen readers skip what is inside it,
so pages also render chart_table() as an HTML table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from babel.dates import format_datetime
from markupsafe import Markup, escape

from .care.instruments import Scoring
from .care.instruments.catalog import band_label
from .care.translation import N_, Translate, untranslated


@dataclass(frozen=True)
class Point:
    """One value at one moment; the label, if any, joins its tooltip and table row."""

    at: datetime
    value: float
    label: str = ""


@dataclass(frozen=True)
class Series:
    """A named line. css_class is added to its <g> for page-specific styling."""

    name: str
    points: Sequence[Point]
    css_class: str = ""


@dataclass(frozen=True)
class Marker:
    """A moment drawn as a dashed vertical line, such as an infusion."""

    at: datetime
    label: str


@dataclass(frozen=True)
class Band:
    """A shaded range of values, such as a questionnaire's severity band; low <= value <= high."""

    low: float
    high: float
    label: str
    css_class: str = ""


@dataclass(frozen=True)
class Layout:
    """Sizes in viewBox units: text, the margins round the plot area, how busy the axes are."""

    font: float
    top: float
    right: float
    bottom: float
    left: float
    max_x_ticks: int
    max_y_ticks: int
    gridlines: bool
    point_radius: float
    line_width: float


# Clinicians: a denser chart. Patients (calm): larger text, fewer ticks, no gridlines, no red.
# The top margin holds two rows of marker labels; the bottom one two lines of date labels.
CLINIC_LAYOUT = Layout(
    font=12, top=36, right=16, bottom=44, left=48, max_x_ticks=6, max_y_ticks=6,
    gridlines=True, point_radius=3.5, line_width=2,
)  # fmt: skip
CALM_LAYOUT = Layout(
    font=16, top=46, right=16, bottom=56, left=56, max_x_ticks=4, max_y_ticks=3,
    gridlines=False, point_radius=5, line_width=3,
)  # fmt: skip
# The first and last moments sit this far inside the plot area, so no dot is cut in half.
POINT_PAD = 16
EMPTY_TEXT = "No data yet"


@dataclass(frozen=True)
class SeriesStyle:
    """How one series is told apart: colour, and also dashes and hollow dots for colour-blind
    readers and greyscale prints."""

    colour: str
    dash: str | None
    hollow: bool


# Each colour has at least 4.5:1 contrast on white (static/css/app.css); none is red.
SERIES_STYLES = (
    SeriesStyle("#0b3d91", None, hollow=False),  # blue, solid, filled dots
    SeriesStyle("#8a5a00", "8 4", hollow=True),  # brown, dashed, open dots
    SeriesStyle("#1d6b38", "2 3", hollow=False),  # green, dotted
    SeriesStyle("#4b2a8a", "10 3 2 3", hollow=True),  # purple, dash-dot
    SeriesStyle("#1a1a1a", "4 2", hollow=False),  # ink, short dashes
)
INK = "#1a1a1a"
MUTED = "#575757"  # text and marker lines: 7.2:1 on white, at least 6 on every band tint
AXIS = "#767676"  # 4.5:1
GRID = "#dddddd"  # decorative
# Band tints from app.css; a label always names the band, so colour is never the only cue.
BAND_TINTS = {
    "minimal": "#f3f9f5",
    "none-minimal": "#f3f9f5",
    "mild": "#e6f3ea",
    "moderate": "#fff3d1",
    "moderately-severe": "#fde8d4",
    "severe": "#fbeaea",
}
OTHER_BAND_TINT = "#f2f2f2"
# Calm charts alternate two quiet tints whatever the band, so nothing looks like a warning.
CALM_BAND_TINTS = ("#f4f6fa", "#e8eef9")

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# XML 1.0 forbids these even as character references; a stray one would break the document.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class TableRow:
    """One row of a chart's text alternative. Marker rows have an empty value."""

    at: datetime  # in the clinic's zone, for <time datetime="...">
    when: str  # e.g. "Nov 19, 7:05 PM"
    series: str
    value: str
    note: str = ""


def score_bands(scoring: Scoring, translate: Translate = untranslated) -> list[Band]:
    """A questionnaire's severity bands, to shade behind its totals.

    Totals are whole numbers, so each band reaches half a point past its ends: a band of 5-9
    meets the next at 9.5, with no white gap between them, and the band a total falls in is
    the one drawn around its dot.
    """
    return [
        Band(
            low=max(band.min - 0.5, scoring.total_min),
            high=min(band.max + 0.5, scoring.total_max),
            label=band_label(band.label, translate),
            css_class=_NOT_A_NAME.sub("-", band.label.lower()).strip("-"),
        )
        for band in scoring.bands
    ]


_NOT_A_NAME = re.compile(r"[^a-z0-9]+")


def chart_table(
    series: Sequence[Series],
    tz: tzinfo,
    *,
    markers: Sequence[Marker] = (),
    locale: str = "en",
) -> list[TableRow]:
    """Every point (and marker) as a row in time order, for an HTML table beside the chart."""
    moments = [p.at for s in series for p in s.points] + [m.at for m in markers]
    for moment in moments:
        _require_aware(moment)
    with_year = _spans_years(moments, tz)
    entries: list[tuple[datetime, int, TableRow]] = []
    for m in markers:
        row = TableRow(m.at.astimezone(tz), _moment(m.at, tz, locale, with_year), m.label, "")
        entries.append((m.at, 0, row))
    for s in series:
        for p in s.points:
            when = _moment(p.at, tz, locale, with_year)
            row = TableRow(p.at.astimezone(tz), when, s.name, _number(p.value), p.label)
            entries.append((p.at, 1, row))
    entries.sort(key=lambda entry: entry[:2])
    return [row for _, _, row in entries]


ONE_POINT = N_("{name}, {when}: {value}.")
SPAN = N_("{start} to {end}")
FIRST_AND_LATEST = N_("{name}, {span}: first {first}, latest {latest}.")


def describe(
    series: Sequence[Series], tz: tzinfo, locale: str = "en", translate: Translate = untranslated
) -> str:
    """A short, neutral summary per series: 'PCL-5, Nov 19 to Dec 10: first 52, latest 38.'"""
    sentences = []
    for s in series:
        points = sorted(s.points, key=lambda p: p.at)
        if not points:
            continue
        first, last = points[0], points[-1]
        start = format_datetime(first.at.astimezone(tz), "MMM d", locale=locale)
        end = format_datetime(last.at.astimezone(tz), "MMM d", locale=locale)
        if len(points) == 1:
            sentences.append(
                translate(ONE_POINT).format(name=s.name, when=start, value=_number(first.value))
            )
        else:
            span = start if start == end else translate(SPAN).format(start=start, end=end)
            sentences.append(
                translate(FIRST_AND_LATEST).format(
                    name=s.name,
                    span=span,
                    first=_number(first.value),
                    latest=_number(last.value),
                )
            )
    return " ".join(sentences)


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    y_min: float,
    y_max: float,
    y_label: str,
    tz: tzinfo,
    id_prefix: str,
    markers: Sequence[Marker] = (),
    bands: Sequence[Band] = (),
    width: int = 640,
    height: int = 240,
    y_ticks: Sequence[float] | None = None,
    calm: bool = False,
    empty_text: str = EMPTY_TEXT,
    summarize: bool = True,
    locale: str = "en",
    translate: Translate = untranslated,
) -> Markup:
    """An accessible inline SVG line chart of values over time.

    The plot area is (layout.left, layout.top) to (width - layout.right, height -
    layout.bottom); a legend, drawn when there is more than one series, adds rows below
    `height`. id_prefix must be unique on the page: it names the <title> and <desc>. When
    `summarize` is set, describe() is added to the description. For a phone, a calm chart
    about 400 wide keeps its text readable.
    """
    if not _ID.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must be a letter then letters, digits, - or _: {id_prefix!r}")
    if not (math.isfinite(y_min) and math.isfinite(y_max) and y_max > y_min):
        raise ValueError("y_max must be greater than y_min")
    for s in series:
        for p in s.points:
            _require_aware(p.at)
            if not math.isfinite(p.value):
                raise ValueError(f"{s.name}: values must be finite numbers")
    for m in markers:
        _require_aware(m.at)
    layout = CALM_LAYOUT if calm else CLINIC_LAYOUT
    ordered = [Series(s.name, sorted(s.points, key=lambda p: p.at), s.css_class) for s in series]
    has_points = any(s.points for s in ordered)
    if summarize and has_points:
        description = f"{description} {describe(ordered, tz, locale, translate)}".strip()

    chart = _Chart(layout, width, height, tz, locale, y_min, y_max)
    legend = chart.legend(ordered) if has_points and len(ordered) > 1 else []
    full_height = _n(height + chart.legend_height)
    classes = "chart chart--calm" if calm else "chart"
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{classes}" role="img"'
        f' aria-labelledby="{title_id} {desc_id}" viewBox="0 0 {width} {full_height}"'
        f' width="100%" font-size="{_n(layout.font)}">',
        f'<title id="{title_id}">{_esc(title)}</title>',
        f'<desc id="{desc_id}">{_esc(description)}</desc>',
    ]
    if not has_points:
        parts.append(chart.empty(empty_text))
    else:
        moments = [p.at for s in ordered for p in s.points] + [m.at for m in markers]
        chart.set_time_range(min(moments), max(moments))
        dots = [(chart.x(p.at), chart.y(p.value)) for s in ordered for p in s.points]
        lines = [chart.x(m.at) for m in markers]
        parts += [
            chart.bands(bands, calm, dots, lines),
            chart.y_axis(y_ticks, y_label),
            chart.x_axis(),
            chart.markers(markers),
            *(chart.series(s, index, len(ordered) > 1) for index, s in enumerate(ordered)),
            *legend,
        ]
    parts.append("</svg>")
    # Safe: every caller-supplied text went through _esc(), and the rest is numbers and constants.
    return Markup("\n".join(part for part in parts if part))  # noqa: S704


class _Chart:
    """The geometry of one chart, and the SVG for each of its layers."""

    def __init__(
        self,
        layout: Layout,
        width: int,
        height: int,
        tz: tzinfo,
        locale: str,
        y_min: float,
        y_max: float,
    ) -> None:
        self.layout, self.width, self.height = layout, width, height
        self.tz, self.locale = tz, locale
        self.y_min, self.y_max = y_min, y_max
        self.left, self.top = layout.left, layout.top
        self.right, self.bottom = width - layout.right, height - layout.bottom
        if self.right - self.left <= 2 * POINT_PAD or self.bottom <= self.top:
            raise ValueError("the chart is too small for its margins")
        self.legend_height = 0.0
        self.with_year = False

    # Scales.

    def set_time_range(self, start: datetime, end: datetime) -> None:
        self.start, self.span = start, (end - start).total_seconds()
        self.inner = self.right - self.left - 2 * POINT_PAD
        # The moments that fall inside the plot area, padding included, may carry a tick.
        pad = timedelta(seconds=self.span * POINT_PAD / self.inner)
        self.visible = (start - pad, end + pad)
        self.with_year = _spans_years(list(self.visible), self.tz)

    def x(self, moment: datetime) -> float:
        if self.span == 0:  # one moment, or all at once: the middle
            return (self.left + self.right) / 2
        offset = (moment - self.start).total_seconds() / self.span
        return self.left + POINT_PAD + offset * self.inner

    def y(self, value: float) -> float:
        # Values outside the axis are drawn at its edge; their tooltip still says the value.
        value = min(max(value, self.y_min), self.y_max)
        share = (value - self.y_min) / (self.y_max - self.y_min)
        return self.bottom - share * (self.bottom - self.top)

    # Layers, back to front.

    def empty(self, text: str) -> str:
        w, h = self.right - self.left, self.bottom - self.top
        return (
            f'<g class="chart__empty"><rect x="{_n(self.left)}" y="{_n(self.top)}"'
            f' width="{_n(w)}" height="{_n(h)}" fill="none" stroke="{AXIS}"'
            f' stroke-dasharray="4 4"/>'
            f'<text x="{_n(self.left + w / 2)}" y="{_n(self.top + h / 2)}" text-anchor="middle"'
            f' dominant-baseline="middle" fill="{INK}">{_esc(text)}</text></g>'
        )

    def bands(
        self,
        bands: Sequence[Band],
        calm: bool,
        dots: Sequence[tuple[float, float]] = (),
        lines: Sequence[float] = (),
    ) -> str:
        """Shaded bands, each labelled where no dot or marker line covers its label."""
        if not bands:
            return ""
        font = self.layout.font - 1
        out = ['<g class="chart__bands">']
        for index, band in enumerate(sorted(bands, key=lambda b: b.low)):
            top, bottom = self.y(band.high), self.y(band.low)
            if bottom - top <= 0:
                continue
            if calm:  # the caller's class is left off too, so no stylesheet can turn it red
                fill, classes = CALM_BAND_TINTS[index % 2], "chart__band"
            else:
                fill = BAND_TINTS.get(band.css_class, OTHER_BAND_TINT)
                classes = _classes("chart__band", band.css_class)
            out.append(
                f'<rect class="{classes}" x="{_n(self.left)}" y="{_n(top)}"'
                f' width="{_n(self.right - self.left)}" height="{_n(bottom - top)}"'
                f' fill="{fill}"><title>{_esc(band.label)}</title></rect>'
            )
            if bottom - top >= font + 2:
                middle = (top + bottom) / 2
                x, anchor = self._label_spot(band.label, middle, font, dots, lines)
                out.append(
                    f'<text class="chart__band-label" x="{_n(x)}" y="{_n(middle)}"'
                    f' text-anchor="{anchor}" dominant-baseline="middle"'
                    f' font-size="{_n(font)}" fill="{MUTED}">{_esc(band.label)}</text>'
                )
        out.append("</g>")
        return "".join(out)

    def _label_spot(
        self,
        text: str,
        middle: float,
        font: float,
        dots: Sequence[tuple[float, float]],
        lines: Sequence[float],
    ) -> tuple[float, str]:
        """Where a band's label goes: at the right edge, else the left, else the middle,
        whichever no dot or marker line crosses (the right, if all are crossed)."""
        width = _text_width(text, font)
        reach = self.layout.point_radius + 2
        spots = (
            (self.right - 4, "end", self.right - 4 - width),
            (self.left + 4, "start", self.left + 4),
            ((self.left + self.right) / 2, "middle", (self.left + self.right - width) / 2),
        )
        for x, anchor, start in spots:
            end = start + width
            covered = any(
                start - reach <= dot_x <= end + reach and abs(dot_y - middle) <= font / 2 + reach
                for dot_x, dot_y in dots
            ) or any(start - 2 <= line_x <= end + 2 for line_x in lines)
            if not covered:
                return x, anchor
        return spots[0][0], spots[0][1]

    def y_axis(self, ticks: Sequence[float] | None, label: str) -> str:
        if ticks is None:
            ticks = _nice_ticks(self.y_min, self.y_max, self.layout.max_y_ticks)
        out = ['<g class="chart__axis chart__axis--y">']
        for value in ticks:
            if not self.y_min <= value <= self.y_max:
                continue
            y = _n(self.y(value))
            if self.layout.gridlines and value != self.y_min:
                out.append(
                    f'<line class="chart__grid" x1="{_n(self.left)}" y1="{y}"'
                    f' x2="{_n(self.right)}" y2="{y}" stroke="{GRID}" stroke-width="1"/>'
                )
            out.append(
                f'<text x="{_n(self.left - 6)}" y="{y}" text-anchor="end"'
                f' dominant-baseline="middle" fill="{MUTED}">{_number(value)}</text>'
            )
        middle = (self.top + self.bottom) / 2
        x = self.layout.font
        out.append(
            f'<text class="chart__axis-label" x="{_n(x)}" y="{_n(middle)}" text-anchor="middle"'
            f' transform="rotate(-90 {_n(x)} {_n(middle)})" fill="{INK}">{_esc(label)}</text>'
        )
        out.append(
            f'<line x1="{_n(self.left)}" y1="{_n(self.top)}" x2="{_n(self.left)}"'
            f' y2="{_n(self.bottom)}" stroke="{AXIS}" stroke-width="1"/></g>'
        )
        return "".join(out)

    def x_axis(self) -> str:
        font = self.layout.font
        bottom = _n(self.bottom)
        out = [
            '<g class="chart__axis chart__axis--x">'
            f'<line x1="{_n(self.left)}" y1="{bottom}" x2="{_n(self.right)}" y2="{bottom}"'
            f' stroke="{AXIS}" stroke-width="1"/>'
        ]
        for moment, main, context in self.time_ticks():
            x = _n(self.x(moment))
            out.append(
                f'<g class="chart__tick"><line x1="{x}" y1="{bottom}" x2="{x}"'
                f' y2="{_n(self.bottom + 4)}" stroke="{AXIS}" stroke-width="1"/>'
                f'<text x="{x}" y="{_n(self.bottom + font + 4)}" text-anchor="middle"'
                f' fill="{MUTED}">{_esc(main)}</text>'
            )
            if context:
                out.append(
                    f'<text x="{x}" y="{_n(self.bottom + 2 * font + 6)}" text-anchor="middle"'
                    f' fill="{MUTED}">{_esc(context)}</text>'
                )
            out.append("</g>")
        out.append("</g>")
        return "".join(out)

    def markers(self, markers: Sequence[Marker]) -> str:
        if not markers:
            return ""
        font = self.layout.font - 1
        # Two rows of labels above the plot; a label that fits in neither is left to the tooltip.
        rows_end = [-math.inf, -math.inf]
        rows_y = (self.top - 6, self.top - 8 - font)
        out = ['<g class="chart__markers">']
        for marker in sorted(markers, key=lambda m: m.at):
            x = self.x(marker.at)
            when = _moment(marker.at, self.tz, self.locale, self.with_year)
            out.append(
                f'<g class="chart__marker"><title>{_esc(marker.label)}: {_esc(when)}</title>'
                f'<line x1="{_n(x)}" y1="{_n(self.top)}" x2="{_n(x)}" y2="{_n(self.bottom)}"'
                f' stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="4 4"/>'
            )
            half = _text_width(marker.label, font) / 2
            centre = min(max(x, half), self.width - half)
            for row, end in enumerate(rows_end):
                if centre - half > end + 4:
                    rows_end[row] = centre + half
                    out.append(
                        f'<text x="{_n(centre)}" y="{_n(rows_y[row])}" text-anchor="middle"'
                        f' font-size="{_n(font)}" fill="{MUTED}">{_esc(marker.label)}</text>'
                    )
                    break
            out.append("</g>")
        out.append("</g>")
        return "".join(out)

    def series(self, series: Series, index: int, named: bool) -> str:
        style = SERIES_STYLES[index % len(SERIES_STYLES)]
        layout = self.layout
        classes = _classes(f"chart__series chart__series--{index}", series.css_class)
        out = [f'<g class="{classes}">']
        coords = [(self.x(p.at), self.y(p.value)) for p in series.points]
        if len(coords) > 1:
            dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
            path = " ".join(f"{_n(x)},{_n(y)}" for x, y in coords)
            out.append(
                f'<polyline class="chart__line" points="{path}" fill="none"'
                f' stroke="{style.colour}" stroke-width="{_n(layout.line_width)}"'
                f' stroke-linejoin="round"{dash}/>'
            )
        fill = "#fff" if style.hollow else style.colour
        for point, (x, y) in zip(series.points, coords, strict=True):
            tip = f"{_moment(point.at, self.tz, self.locale, self.with_year)}: "
            tip += _number(point.value)
            if point.label:
                tip += f" ({point.label})"
            if named:
                tip = f"{series.name}, {tip}"
            out.append(
                f'<circle class="chart__point" cx="{_n(x)}" cy="{_n(y)}"'
                f' r="{_n(layout.point_radius)}" fill="{fill}" stroke="{style.colour}"'
                f' stroke-width="2"><title>{_esc(tip)}</title></circle>'
            )
        out.append("</g>")
        return "".join(out)

    def legend(self, series: Sequence[Series]) -> list[str]:
        font = self.layout.font
        row_height = font * 1.75
        sample = 28
        x, row = self.left, 0
        out = ['<g class="chart__legend">']
        for index, s in enumerate(series):
            item_width = sample + 6 + _text_width(s.name, font) + 16
            if x + item_width > self.width and x > self.left:
                x, row = self.left, row + 1
            style = SERIES_STYLES[index % len(SERIES_STYLES)]
            y = self.height + row * row_height + row_height / 2
            dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
            fill = "#fff" if style.hollow else style.colour
            out.append(
                f'<g class="chart__legend-item"><line x1="{_n(x)}" y1="{_n(y)}"'
                f' x2="{_n(x + sample)}" y2="{_n(y)}" stroke="{style.colour}"'
                f' stroke-width="{_n(self.layout.line_width)}"{dash}/>'
                f'<circle cx="{_n(x + sample / 2)}" cy="{_n(y)}"'
                f' r="{_n(self.layout.point_radius)}" fill="{fill}" stroke="{style.colour}"'
                f' stroke-width="2"/><text x="{_n(x + sample + 6)}" y="{_n(y)}"'
                f' dominant-baseline="middle" fill="{INK}">{_esc(s.name)}</text></g>'
            )
            x += item_width
        out.append("</g>")
        self.legend_height = (row + 1) * row_height + 4
        return out

    # Date ticks.

    def time_ticks(self) -> list[tuple[datetime, str, str]]:
        """(moment, label, context) for each tick: context is the date under hour ticks where
        the day changes, or the year under date ticks where the year changes."""
        low, high = self.visible
        if self.span == 0:
            return self._labelled([low], "exact")
        for unit, step, length in _TICK_STEPS:
            if (high - low) / length > self.layout.max_x_ticks + 2:
                continue  # clearly too many; skip building them
            ticks = _ticks(low, high, self.tz, unit, step)
            if len(ticks) <= self.layout.max_x_ticks:
                if len(ticks) >= 2:
                    return self._labelled(ticks, unit)
                break
        # Too short a time for two round ticks: label the first and last moments exactly.
        start = self.start
        end = start + timedelta(seconds=self.span)
        return self._labelled([start, end], "exact")

    def _labelled(self, ticks: list[datetime], unit: str) -> list[tuple[datetime, str, str]]:
        out = []
        previous: datetime | None = None
        for moment in ticks:
            local = moment.astimezone(self.tz)
            if unit in ("hour", "exact"):
                main = _format(local, "h a" if local.minute == 0 else "h:mm a", self.locale)
                new_day = previous is None or previous.date() != local.date()
                context = _format(local, "MMM d", self.locale) if new_day else ""
            else:
                main = _format(local, "MMM d", self.locale)
                new_year = previous is None or previous.year != local.year
                context = str(local.year) if self.with_year and new_year else ""
            out.append((moment, main, context))
            previous = local
        return out


_TICK_STEPS = (
    *(("hour", n, timedelta(hours=n)) for n in (1, 2, 3, 6, 12)),
    *(("day", n, timedelta(days=n)) for n in (1, 2, 7, 14)),
    *(("month", n, timedelta(days=30 * n)) for n in (1, 2, 3, 6, 12)),
)


def _ticks(low: datetime, high: datetime, tz: tzinfo, unit: str, step: int) -> list[datetime]:
    """Round local moments (every `step` hours, days or months) between low and high.

    Built from local wall-clock times, then converted, so ticks stay on the hour across a
    daylight-saving change; a wall time that does not exist that night is dropped.
    """
    first, last = low.astimezone(tz).date(), high.astimezone(tz).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if unit == "hour":
        wall = [datetime.combine(d, time(h), tz) for d in days for h in range(0, 24, step)]
    elif unit == "day":
        wall = [datetime.combine(d, time(0), tz) for d in days[::step]]
    else:
        months = {(d.year, d.month) for d in days}
        wall = [
            datetime(year, month, 1, tzinfo=tz)
            for year, month in sorted(months)
            if (year * 12 + month - 1) % step == 0
        ]
    moments = {w.astimezone(UTC) for w in wall if _exists(w)}
    return sorted(m for m in moments if low <= m <= high)


def _exists(wall: datetime) -> bool:
    """Whether a local wall time happens at all (not skipped when the clocks go forward)."""
    return wall.astimezone(UTC).astimezone(wall.tzinfo).replace(tzinfo=None) == wall.replace(
        tzinfo=None
    )


def _nice_ticks(low: float, high: float, most: int) -> list[float]:
    """Round values from low to high, at most `most` of them, stepping 1, 2 or 5 x 10^k."""
    span = high - low
    magnitude = 10 ** math.floor(math.log10(span / max(most, 1)))
    for multiple in (1, 2, 5, 10, 20, 50):
        step = multiple * magnitude
        first = math.ceil(low / step - 1e-9) * step
        count = math.floor((high - first) / step + 1e-9) + 1
        if count <= most:
            return [round(first + n * step, 9) for n in range(count)]
    return [low, high]


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("chart times must be aware datetimes")


def _spans_years(moments: Sequence[datetime], tz: tzinfo) -> bool:
    return len({m.astimezone(tz).year for m in moments}) > 1


def _moment(moment: datetime, tz: tzinfo, locale: str, with_year: bool) -> str:
    pattern = "MMM d, y, h:mm a" if with_year else "MMM d, h:mm a"
    return _format(moment.astimezone(tz), pattern, locale)


def _format(local: datetime, pattern: str, locale: str) -> str:
    return format_datetime(local, pattern, locale=locale)


def _number(value: float) -> str:
    return f"{value:g}"


def _n(coordinate: float) -> str:
    """A coordinate to one decimal place, without trailing zeros."""
    text = f"{coordinate:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _esc(text: str) -> str:
    return str(escape(_CONTROL.sub("", text)))


def _classes(base: str, extra: str) -> str:
    return _esc(f"{base} {extra}".strip())


def _text_width(text: str, font: float) -> float:
    # An estimate: average glyphs of a system sans-serif are about 0.6 em wide.
    return len(text) * font * 0.6
