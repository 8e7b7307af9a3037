"""Flask's JSON provider, reading bodies as the API means them.

- A number with a fraction or an exponent is read as a Decimal, exactly as written, never
  as a float: `1.0000000000000001` as a float is 1.0, which an integer field would take
  for the integer 1 (an amount nobody sent). As a Decimal it stays what it is, and only
  a fraction of zero (`2.0`) passes for an integer (webapp.api.schemas).
- The standard parser recurses; `[[[[…]]]]` within 64 KiB exhausts the stack and raises
  RecursionError, which Flask does not treat as a bad body. Raised as ValueError, it is a
  400 like any other malformed JSON. (Shallower nesting than that is bounded by
  webapp.edge.text_guard.)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask.json.provider import DefaultJSONProvider


class TallyJSONProvider(DefaultJSONProvider):
    sort_keys = False  # keep "data" before "meta", and fields in schema order

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_float", Decimal)
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc
