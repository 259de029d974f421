"""The one CSV writer: formula-like text gets an apostrophe; numbers stay numbers."""

import csv
import io

import pytest

from digitalpost.core.spreadsheet import csv_lines


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://e.invalid")'])
def test_formula_leads_are_neutralised(text):
    assert next(csv.reader(io.StringIO("".join(csv_lines([[text]])))))[0] == "'" + text


def test_plain_text_numbers_and_empty_cells_are_written_as_they_are():
    line = "".join(csv_lines([["Borgerservice", -3, 2.5, None, "a=b"]]))
    assert line == "Borgerservice,-3,2.5,,a=b\r\n"
