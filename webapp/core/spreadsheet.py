"""CSV that a spreadsheet opens safely: text cells never start a formula.

A spreadsheet runs a cell that begins with "=", "+", "-" or "@" as a formula (and some
read a leading tab or carriage return the same way), so a memo such as `=HYPERLINK(...)`
would run on the reader's machine. Such a text cell gets a leading "'", which tells the
spreadsheet "this is text". Numbers Tally writes itself ("-12.50") are left as they are:
they are numbers, and must stay summable.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """A text cell as written: with a leading "'" when it would start a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_rows(rows: Iterable[Sequence[str]]) -> str:
    """The rows as CSV text (RFC 4180: quoted where needed, CRLF line ends)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()
