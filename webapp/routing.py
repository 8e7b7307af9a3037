"""URL converters shared by pages and the API."""

from __future__ import annotations

from werkzeug.routing import BaseConverter


class IdConverter(BaseConverter):
    """A public id in a path: a positive integer that fits the database's BIGINT.

    Anything else (`abc`, `0`, `99999999999999999999`) does not match the route, so it is
    a 404 like any other unknown resource, never a database error.
    """

    regex = r"[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: object) -> str:
        return str(value)
