"""URL converters shared by pages and the API."""

from __future__ import annotations

from werkzeug.routing import BaseConverter

from webapp.core.ids import ID_PATTERN


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
