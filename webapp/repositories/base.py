"""The generic repository: the queries every aggregate needs, written once.

Repositories add and flush; they never commit (the unit of work does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, case, delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ExecutableOption

from webapp.models import Base
from webapp.repositories.keyset import KeysetOrder, Page

ModelT = TypeVar("ModelT", bound=Base)

Filters = Sequence[ColumnElement[bool]]
Options = Sequence[ExecutableOption]


class Repository(Generic[ModelT]):
    model: ClassVar[type[Any]]

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def default_order(self) -> KeysetOrder:
        """Newest first, by primary key."""
        return KeysetOrder((self.model.id,), descending=True)

    def find_by_id(self, entity_id: int, *, options: Options = ()) -> ModelT | None:
        return self.session.get(self.model, entity_id, options=options)

    def find_many(
        self,
        *,
        where: Filters = (),
        order_by: Sequence[ColumnElement[Any]] | None = None,
        limit: int | None = None,
        options: Options = (),
    ) -> list[ModelT]:
        statement = select(self.model).where(*where).options(*options)
        statement = statement.order_by(*(order_by or self.default_order.order_by()))
        if limit is not None:
            statement = statement.limit(limit)
        return list(self.session.scalars(statement))

    def find_after(
        self, after_id: int, *, limit: int, where: Filters = (), options: Options = ()
    ) -> list[ModelT]:
        """Up to `limit` rows matching `where` with an id above `after_id`, oldest first: one
        keyset step of a walk over every row (an export reads a member's rows so)."""
        return self.find_many(
            where=[*where, self.model.id > after_id],
            order_by=[self.model.id],
            limit=limit,
            options=options,
        )

    def find_page(
        self,
        *,
        limit: int,
        cursor: str | None = None,
        where: Filters = (),
        order: KeysetOrder | None = None,
        options: Options = (),
    ) -> Page[ModelT]:
        """One page in keyset order: `limit` rows after `cursor`, plus whether more follow."""
        order = order or self.default_order
        conditions = list(where)
        if cursor is not None:
            conditions.append(order.after(order.decode(cursor)))
        rows = self.find_many(
            where=conditions, order_by=order.order_by(), limit=limit + 1, options=options
        )
        has_more = len(rows) > limit
        items = rows[:limit]
        next_cursor = order.encode(items[-1]) if has_more else None
        return Page(items=items, next_cursor=next_cursor, has_more=has_more)

    def find_by_ids(self, ids: Iterable[int]) -> dict[int, ModelT]:
        """The rows with these ids, in one query, by id (ids with no row are left out)."""
        statement = select(self.model).where(self.model.id.in_(sorted(set(ids))))
        return {row.id: row for row in self.session.scalars(statement)}

    def lock_for_update(self, ids: Iterable[int]) -> dict[int, ModelT]:
        """Lock these rows until the transaction ends, always in ascending id order (two
        transactions locking overlapping rows then never deadlock), and read their
        committed values even if the session had loaded them before."""
        statement = (
            select(self.model)
            .where(self.model.id.in_(sorted(set(ids))))
            .order_by(self.model.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {row.id: row for row in self.session.scalars(statement)}

    def count(self, *, where: Filters = ()) -> int:
        statement = select(func.count()).select_from(self.model).where(*where)
        return int(self.session.scalar(statement) or 0)

    def count_per_period(self, bounds: Sequence[datetime], *, where: Filters = ()) -> list[int]:
        """Rows created in each period [bounds[i], bounds[i + 1]), in one query whatever the
        number of periods (one conditional count per period over the whole range)."""
        if len(bounds) < 2:
            return []
        created = self.model.created_at
        counts = [
            func.coalesce(func.sum(case((and_(created >= start, created < end), 1), else_=0)), 0)
            for start, end in pairwise(bounds)
        ]
        in_range = [created >= bounds[0], created < bounds[-1]]
        row = self.session.execute(select(*counts).where(*where, *in_range)).one()
        return [int(value) for value in row]

    def create(self, **values: Any) -> ModelT:
        """A new row, written now (so its id and defaults are known)."""
        entity = self.model(**values)
        self.session.add(entity)
        self.session.flush()
        return entity

    def add(self, **values: Any) -> ModelT:
        """A new row, written with the transaction's next flush or its commit: for rows nobody
        reads back before then (an audit row, a stored answer), one round trip fewer."""
        entity = self.model(**values)
        self.session.add(entity)
        return entity

    def update(self, entity: ModelT, **values: Any) -> ModelT:
        for name, value in values.items():
            setattr(entity, name, value)
        self.session.flush()
        return entity

    def delete_batch(self, *, where: Filters, limit: int) -> int:
        """Delete up to `limit` rows matching `where`, oldest id first; returns how many this
        statement deleted. Rows another transaction holds are skipped on PostgreSQL (SKIP
        LOCKED), so sweepers running at once share the work and never count a row twice."""
        batch = (
            select(self.model.id)
            .where(*where)
            .order_by(self.model.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = delete(self.model).where(self.model.id.in_(batch))
        result = self.session.execute(statement, execution_options={"synchronize_session": False})
        return int(result.rowcount or 0)

    def delete(self, entity: ModelT) -> None:
        self.session.delete(entity)
        self.session.flush()
