"""Flask's JSON provider with one change: nesting too deep to parse is malformed JSON.

The standard parser recurses; `[[[[…]]]]` within 64 KiB exhausts the stack and raises
RecursionError, which Flask does not treat as a bad body. Raised as ValueError, it is a
400 like any other malformed JSON.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class TallyJSONProvider(DefaultJSONProvider):
    sort_keys = False  # keep "data" before "meta", and fields in schema order

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc
