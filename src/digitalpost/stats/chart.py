"""Server-rendered SVG charts for the statistics page: no JavaScript, no external files, readable without sight.

A small hand-written builder (xml.etree, so every text is escaped and the result is well-formed XML) draws
two charts: inquiries received vs answered per week, and the answer-time distribution. Each SVG is
role="img" with a <title> and a <desc> that states the figures in words, every bar carries its own <title>
with its exact number, and the page shows the same data as a table (the text alternative). Not for: the
figures themselves (figures.py) or other kinds of charts.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from digitalpost.stats.figures import Bucket, Week

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 36, 44
RECEIVED_COLOUR = "#9aa5b1"
ANSWERED_COLOUR = "#1f3b2d"
TEXT_STYLE = {"font-family": "system-ui, sans-serif", "font-size": "11", "fill": "#1d1d1f"}


def nice_ceiling(value: int, ticks: int = 4) -> tuple[int, int]:
    """(axis maximum, step) with a step of 1, 2 or 5 × 10^k and at most `ticks` steps."""
    if value <= 0:
        return 1, 1
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(value / step), step


def bucket_label(bucket: Bucket) -> str:
    def span(hours: int) -> str:
        if hours < 24 or hours % 24:
            return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
        return ngettext("%(n)d day", "%(n)d days", hours // 24) % {"n": hours // 24}

    if bucket.up_to_hours is None:
        return _("over %(span)s") % {"span": span(bucket.above_hours)}
    if bucket.above_hours == 0:
        return _("up to %(span)s") % {"span": span(bucket.up_to_hours)}
    return _("%(low)s – %(high)s") % {"low": span(bucket.above_hours), "high": span(bucket.up_to_hours)}


def week_label(week: Week) -> str:
    year, number, _weekday = week.monday.isocalendar()
    return _("week %(number)d %(year)d") % {"number": number, "year": year}


def _svg(chart_id: str, title: str, desc: str, height: int = HEIGHT) -> ET.Element:
    root = ET.Element("svg", {
        "xmlns": SVG_NS, "viewBox": f"0 0 {WIDTH} {height}", "width": "100%", "role": "img",
        "aria-labelledby": f"{chart_id}-title {chart_id}-desc", "id": chart_id, "class": "chart",
    })  # its max-width (WIDTH px) is in portal.css: the Content-Security-Policy allows no style attributes
    ET.SubElement(root, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(root, "desc", {"id": f"{chart_id}-desc"}).text = desc
    return root


def _text(parent: ET.Element, x: float, y: float, content: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, "text", {"x": f"{x:.1f}", "y": f"{y:.1f}", **TEXT_STYLE, **attrs})
    element.text = content
    return element


def _bar(parent: ET.Element, x: float, y: float, width: float, height: float, colour: str, title: str,
         **attrs: str) -> None:
    rect = ET.SubElement(parent, "rect", {
        "x": f"{x:.1f}", "y": f"{y:.1f}", "width": f"{width:.1f}", "height": f"{max(height, 0):.1f}",
        "fill": colour, **attrs,
    })
    ET.SubElement(rect, "title").text = title


def _legend(root: ET.Element, entries: Sequence[tuple[str, str]]) -> None:
    x = float(LEFT)
    for colour, label in entries:
        ET.SubElement(root, "rect", {"x": f"{x:.1f}", "y": "10", "width": "12", "height": "12", "fill": colour})
        _text(root, x + 16, 20, label)
        x += 24 + 7 * len(label)


def _y_axis(root: ET.Element, maximum: int, step: int, plot_height: float) -> None:
    for value in range(0, maximum + 1, step):
        y = TOP + plot_height - plot_height * value / maximum
        ET.SubElement(root, "line", {"x1": str(LEFT), "x2": str(WIDTH - RIGHT), "y1": f"{y:.1f}", "y2": f"{y:.1f}",
                                     "stroke": "#e3e5e8"})
        _text(root, LEFT - 6, y + 4, str(value), **{"text-anchor": "end"})


def weekly_chart(weeks: Sequence[Week], *, chart_id: str = "chart-weekly") -> SafeString:
    """Two bars per ISO week: inquiries received that week, and how many of them have been answered."""
    received = sum(w.received for w in weeks)
    answered = sum(w.answered for w in weeks)
    title = _("Inquiries received and answered per week")
    desc = ngettext(
        "%(received)d inquiry received over %(weeks)d weeks; %(answered)d of them answered.",
        "%(received)d inquiries received over %(weeks)d weeks; %(answered)d of them answered.", received,
    ) % {"received": received, "weeks": len(weeks), "answered": answered}
    root = _svg(chart_id, title, desc)
    _legend(root, [(RECEIVED_COLOUR, _("received")), (ANSWERED_COLOUR, _("answered"))])
    plot_height = HEIGHT - TOP - BOTTOM
    maximum, step = nice_ceiling(max((w.received for w in weeks), default=0))
    _y_axis(root, maximum, step, plot_height)
    slot = (WIDTH - LEFT - RIGHT) / max(len(weeks), 1)
    bar = max(min(slot * 0.38, 28), 1)
    label_every = max(1, math.ceil(len(weeks) / 13))
    for n, week in enumerate(weeks):
        x = LEFT + slot * n + slot / 2
        name = week_label(week)
        group = ET.SubElement(root, "g", {"data-week": week.monday.isoformat()})
        for offset, value, colour, text in (
            (-bar, week.received, RECEIVED_COLOUR, _("%(week)s: %(n)d received")),
            (0, week.answered, ANSWERED_COLOUR, _("%(week)s: %(n)d answered")),
        ):
            height = plot_height * value / maximum
            _bar(group, x + offset, TOP + plot_height - height, bar, height, colour,
                 text % {"week": name, "n": value}, **{"data-value": str(value)})
            if len(weeks) <= 16 and value:
                _text(group, x + offset + bar / 2, TOP + plot_height - height - 3, str(value),
                      **{"text-anchor": "middle"})
        if n % label_every == 0:
            _text(root, x, HEIGHT - BOTTOM + 16, _("w%(number)d") % {"number": week.monday.isocalendar()[1]},
                  **{"text-anchor": "middle"})
    if weeks:
        _text(root, LEFT, HEIGHT - 8, _("Weeks from %(first)s") % {
            "first": date_format(weeks[0].monday, "j M Y")})
    return mark_safe(ET.tostring(root, encoding="unicode"))  # noqa: S308 (built by ElementTree: escaped)


def distribution_chart(buckets: Sequence[Bucket], *, chart_id: str = "chart-answer-times") -> SafeString:
    """One horizontal bar per answer-time bucket, with the count written after it."""
    total = sum(b.count for b in buckets)
    parts = "; ".join(f"{bucket_label(b)}: {b.count}" for b in buckets)
    title = _("Time to answer")
    desc = ngettext("%(total)d answer by time taken: %(parts)s.", "%(total)d answers by time taken: %(parts)s.",
                    total) % {"total": total, "parts": parts}
    row, label_width = 26, 150
    height = TOP + row * len(buckets) + 8
    root = _svg(chart_id, title, desc, height=height)
    _text(root, LEFT, 20, _("answers, by time from inquiry to first reply"))
    maximum, _unused = nice_ceiling(max((b.count for b in buckets), default=0))
    room = WIDTH - LEFT - RIGHT - label_width - 40
    for n, bucket in enumerate(buckets):
        y = TOP + row * n
        label = bucket_label(bucket)
        _text(root, LEFT + label_width - 8, y + 15, label, **{"text-anchor": "end"})
        length = room * bucket.count / maximum
        _bar(root, LEFT + label_width, y + 3, length, row - 8, ANSWERED_COLOUR, f"{label}: {bucket.count}",
             **{"data-value": str(bucket.count)})
        _text(root, LEFT + label_width + length + 6, y + 15, str(bucket.count))
    return mark_safe(ET.tostring(root, encoding="unicode"))  # noqa: S308 (built by ElementTree: escaped)
