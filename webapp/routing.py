"""URL converters shared by pages and the API."""

from __future__ import annotations

import re

from werkzeug.routing import BaseConverter

from webapp.errors import NotFound
from webapp.models.base import BIGINT_MAX

# The one bound on a whole number a request sends (an id in a path, a query, a body or a
# form; a page number): at most NUMBER_DIGITS digits, so that every one fits a BIGINT (the
# id columns, int64 on SQLite and PostgreSQL) and none reaches the database as an error.
NUMBER_DIGITS = len(str(BIGINT_MAX)) - 1
MAX_NUMBER = 10**NUMBER_DIGITS - 1
ID_PATTERN = rf"[1-9][0-9]{{0,{NUMBER_DIGITS - 1}}}"
_ID = re.compile(ID_PATTERN)


class IdConverter(BaseConverter):
    """A public id in a path: 1 to MAX_NUMBER, written without leading zeros.

    Anything else (`abc`, `0`, `-1`, `9223372036854775808`) does not match the route, so it
    is a 404 like any other unknown resource, never a database error.
    """

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: object) -> str:
        return str(value)


def parse_public_id(value: object) -> int | None:
    """ "42" → 42; None for anything that cannot be an id (not a string, "0", "abc", too long)."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return None
    return int(value)


def id_from_wire(value: str, field: str) -> int:
    """An id sent in a body ("42"); one that cannot exist is simply not found."""
    parsed = parse_public_id(value)
    if parsed is None:
        raise NotFound("Not found.", details={field: "not found"})
    return parsed
