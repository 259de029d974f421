"""Reply statistics as CSV: one row per mailbox plus the organisation's total, or one row per organisation plus
the platform's total. The columns are documented in docs/statistics.md and stay stable (add, never rename).

Cells are plain numbers (share in percent with one decimal, hours with one decimal; empty when there is
nothing to measure); names that a spreadsheet would run as a formula are prefixed with an apostrophe
(digitalpost.core.spreadsheet, the writer every export shares).
"""

from __future__ import annotations

from collections.abc import Iterator

from digitalpost.core.spreadsheet import csv_lines
from digitalpost.stats.figures import Figures, Period
from digitalpost.stats.selectors import OrganisationStatistics, PlatformStatistics

FIGURE_COLUMNS = [
    "received", "answered", "answered_in_time", "answered_late", "unanswered_past_deadline",
    "open_within_deadline", "share_answered_in_time_percent", "median_hours_to_answer", "p90_hours_to_answer",
    "replies_refused", "replies_refused_by_code",
]
ORGANISATION_COLUMNS = ["scope", "cvr", "organisation", "mailbox_id", "mailbox", "period_from", "period_to",
                        "deadline_working_days", *FIGURE_COLUMNS]
PLATFORM_COLUMNS = ["scope", "cvr", "organisation", "period_from", "period_to", "deadline_working_days",
                    *FIGURE_COLUMNS]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def figure_cells(figures: Figures) -> list[str]:
    return [
        str(figures.received), str(figures.answered), str(figures.answered_in_time), str(figures.answered_late),
        str(figures.unanswered_past_deadline), str(figures.open_within_deadline), _number(figures.share_percent),
        _number(figures.median_hours), _number(figures.p90_hours), str(figures.refused),
        ";".join(f"{code}={count}" for code, count in figures.refused_by_code),
    ]


def _lines(header: list[str], rows: Iterator[list[str]]) -> Iterator[str]:
    return csv_lines([header, *rows])


def _period_cells(period: Period) -> list[str]:
    return [period.start.isoformat(), period.end.isoformat()]


def organisation_csv(stats: OrganisationStatistics) -> Iterator[str]:
    def rows() -> Iterator[list[str]]:
        org = [stats.cvr, stats.name]
        tail = [*_period_cells(stats.period), str(stats.deadline_days)]
        for box in stats.mailboxes:
            yield ["mailbox", *org, box.id, box.name, *tail, *figure_cells(box.figures)]
        yield ["organisation", *org, "", "", *tail, *figure_cells(stats.total)]

    return _lines(ORGANISATION_COLUMNS, rows())


def platform_csv(stats: PlatformStatistics) -> Iterator[str]:
    def rows() -> Iterator[list[str]]:
        period = _period_cells(stats.period)
        for row in stats.organisations:
            yield ["organisation", row.cvr, row.name, *period, str(row.deadline_days),
                   *figure_cells(row.figures)]
        yield ["platform", "", "", *period, "", *figure_cells(stats.total)]

    return _lines(PLATFORM_COLUMNS, rows())
