"""Keyset (cursor) pagination: opaque cursors over an ordered tuple of columns.

A cursor is the sort key of the last row a page showed, as base64url JSON. The next
page asks for rows strictly after it, which an index on the same columns answers in
the same time for the first page and the thousandth, unlike OFFSET.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from webapp.core.errors import InvalidCursor
from webapp.core.ids import BIGINT_MAX, BIGINT_MIN

T = TypeVar("T")

MAX_CURSOR_LENGTH = 512


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    has_more: bool


@dataclass(frozen=True)
class KeysetOrder:
    """Columns that together identify a row's position, all sorted one way."""

    columns: tuple[InstrumentedAttribute[Any], ...]
    descending: bool = True

    def order_by(self) -> list[ColumnElement[Any]]:
        return [c.desc() if self.descending else c.asc() for c in self.columns]

    def after(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """Rows that come strictly after the row whose sort key is `values`."""
        if len(self.columns) == 1:
            column, value = self.columns[0], values[0]
            return column < value if self.descending else column > value
        key, bound = tuple_(*self.columns), tuple_(*values)
        return key < bound if self.descending else key > bound

    def key_of(self, row: Any) -> list[Any]:
        return [getattr(row, c.key) for c in self.columns]

    def encode(self, row: Any) -> str:
        values = [v.isoformat() if isinstance(v, datetime) else v for v in self.key_of(row)]
        raw = json.dumps(values, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def decode(self, cursor: str) -> list[Any]:
        """The sort key inside a cursor, checked value by value; InvalidCursor otherwise."""
        if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
            raise InvalidCursor()
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            values = json.loads(raw)
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise InvalidCursor() from exc
        if not isinstance(values, list) or len(values) != len(self.columns):
            raise InvalidCursor()
        pairs = zip(self.columns, values, strict=True)
        return [self._typed(column, value) for column, value in pairs]

    @staticmethod
    def _typed(column: InstrumentedAttribute[Any], value: Any) -> Any:
        python_type = column.type.python_type
        if python_type is int:
            if type(value) is not int or not BIGINT_MIN <= value <= BIGINT_MAX:
                raise InvalidCursor()
            return value
        if python_type is datetime:
            try:
                parsed = datetime.fromisoformat(value)
            except (TypeError, ValueError) as exc:
                raise InvalidCursor() from exc
            if parsed.tzinfo is None:
                raise InvalidCursor()
            return parsed
        if python_type is str and isinstance(value, str):
            return value
        raise InvalidCursor()
