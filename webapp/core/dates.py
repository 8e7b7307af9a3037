"""Calendar dates as a request types them: "2026-12-01", and nothing else is guessed."""

from __future__ import annotations

import re
from datetime import date

# Four-digit year, two-digit month and day, ASCII digits only ("2026-12-01").
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATE = re.compile(DATE_PATTERN, re.ASCII)

NOT_A_DATE = "Type the date as YYYY-MM-DD, like 2026-12-01."
NO_SUCH_DAY = "There is no such day in the calendar."


def parse_date(text: str) -> date:
    """ "2026-12-01" → date(2026, 12, 1); ValueError (its message for the field) otherwise."""
    if not _DATE.fullmatch(text):
        raise ValueError(NOT_A_DATE)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(NO_SUCH_DAY) from None
