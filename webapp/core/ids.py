"""The bound on every whole number a request sends, and the grammar of a public id."""

from __future__ import annotations

import re

from webapp.core.errors import NotFound

# What a BIGINT holds (int64 on SQLite and PostgreSQL): every int column, ids included.
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
# The one bound on a whole number a request sends (an id in a path, a query, a body or a
# form; a page number): at most NUMBER_DIGITS digits, so that every one fits a BIGINT and
# none reaches the database as an error.
NUMBER_DIGITS = len(str(BIGINT_MAX)) - 1
MAX_NUMBER = 10**NUMBER_DIGITS - 1
ID_PATTERN = rf"[1-9][0-9]{{0,{NUMBER_DIGITS - 1}}}"
_ID = re.compile(ID_PATTERN)


def parse_public_id(value: object) -> int | None:
    """ "42" → 42; None for anything that cannot be an id (not a string, "0", "abc", too long)."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return None
    return int(value)


def id_from_wire(value: str, field: str) -> int:
    """An id sent in a body ("42"); one that cannot exist is simply not found."""
    parsed = parse_public_id(value)
    if parsed is None:
        raise NotFound("Not found.", details={field: "Nothing has this id."})
    return parsed
