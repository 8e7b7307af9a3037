"""Refuse text no database column can hold, before anything reads it.

PostgreSQL text cannot contain NUL (U+0000), and no database stores a lone UTF-16
surrogate ("\\ud800" is valid JSON but not Unicode text); either fails inside the driver.
Rather than let every query parameter and field find that out (as a 500), a request
whose query string, form or JSON body holds such text is a 400.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest

MESSAGE = "Text must be valid Unicode without NUL (U+0000) characters."


def unstorable(value: Any) -> bool:
    """Whether this value (a string, or a JSON structure) holds text no column can store."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(unstorable(item) for item in value)
    return False


def refuse_unstorable_query_and_form() -> None:
    """Every request: the query string and, for form posts, the form fields."""
    values = list(request.args.items(multi=True)) if request.query_string else []
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += list(request.form.items(multi=True))
    if any(unstorable(key) or unstorable(value) for key, value in values):
        raise BadRequest(MESSAGE)


def refuse_unstorable_json(body: Any) -> None:
    if unstorable(body):
        raise BadRequest(MESSAGE)
