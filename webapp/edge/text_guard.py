"""Refuse text no database column can hold, and JSON nested deeper than any body needs,
before anything reads it.

PostgreSQL text cannot contain NUL (U+0000), and no database stores a lone UTF-16
surrogate ("\\ud800" is valid JSON but not Unicode text); either fails inside the driver.
Rather than let every query parameter and field find that out (as a 500), a request
whose query string, form or JSON body holds such text is a 400.

No body of this API nests more than a few levels, so a JSON body deeper than
MAX_JSON_DEPTH is a 400 too. The walk keeps its own stack: a recursive one would let a
few hundred bytes of `[[[[…]]]]` exhaust Python's stack (a 500 with a traceback).
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest

MESSAGE = "Text must be valid Unicode without NUL (U+0000) characters."
MAX_JSON_DEPTH = 64
TOO_DEEP = f"The body must not nest arrays and objects more than {MAX_JSON_DEPTH} levels deep."


def unstorable_text(value: str) -> bool:
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_problem(value: Any) -> str | None:
    """What makes this JSON value unfit to read (unstorable text, or nesting too deep), or None."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if unstorable_text(item):
                return MESSAGE
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return TOO_DEEP
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
    return None


def refuse_unstorable_query_and_form() -> None:
    """Every request: the query string and, for form posts, the form fields."""
    values = list(request.args.items(multi=True)) if request.query_string else []
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += list(request.form.items(multi=True))
    if any(unstorable_text(key) or unstorable_text(value) for key, value in values):
        raise BadRequest(MESSAGE)


def refuse_unfit_json(body: Any) -> None:
    problem = json_problem(body)
    if problem is not None:
        raise BadRequest(problem)
