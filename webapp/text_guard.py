"""Refuse text no database column can hold, before anything reads it.

PostgreSQL text cannot contain NUL (U+0000); a query that carries one fails inside the
driver. Rather than let every query parameter and field find that out (as a 500), a
request whose query string, form or JSON body holds a NUL character is a 400.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest

NUL = "\x00"
MESSAGE = "Text must not contain NUL (U+0000) characters."


def contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


def refuse_nul_in_query_and_form() -> None:
    """Every request: the query string and, for form posts, the form fields."""
    values = list(request.args.items(multi=True))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += list(request.form.items(multi=True))
    if any(contains_nul(key) or contains_nul(value) for key, value in values):
        raise BadRequest(MESSAGE)


def refuse_nul_in_json(body: Any) -> None:
    if contains_nul(body):
        raise BadRequest(MESSAGE)
