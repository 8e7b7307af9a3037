"""The generic repository: CRUD, counting and keyset pagination with opaque cursors."""

from __future__ import annotations

import base64
import json

import pytest

from webapp.core.errors import InvalidCursor
from webapp.infra.extensions import db
from webapp.models import Event
from webapp.repositories.events import EventRepository
from webapp.repositories.keyset import KeysetOrder

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def events() -> EventRepository:
    repository = EventRepository(db.session)
    for n in range(25):
        repository.create(type="even" if n % 2 == 0 else "odd", subject=f"n:{n}", data={"n": n})
    db.session.commit()
    return repository


def test_create_find_update_delete(events):
    created = events.create(type="x", subject="s", data={})
    found = events.find_by_id(created.id)
    assert found is created
    events.update(found, subject="changed")
    assert events.find_by_id(created.id).subject == "changed"
    events.delete(found)
    assert events.find_by_id(created.id) is None
    assert events.find_by_id(10**12) is None


def test_count_and_filter(events):
    assert events.count() == 25
    assert events.count(where=[Event.type == "even"]) == 13
    odd = events.find_many(where=[Event.type == "odd"], limit=3)
    assert [e.data["n"] for e in odd] == [23, 21, 19]  # newest first by default
    oldest = events.find_many(order_by=[Event.id.asc()], limit=2)
    assert [e.data["n"] for e in oldest] == [0, 1]


def test_walking_the_cursor_visits_every_row_exactly_once(events):
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = events.find_page(limit=7, cursor=cursor)
        pages += 1
        seen.extend(e.data["n"] for e in page.items)
        if not page.has_more:
            assert page.next_cursor is None
            break
        cursor = page.next_cursor
    assert seen == list(range(24, -1, -1))
    assert pages == 4


def test_filters_hold_across_pages(events):
    first = events.find_page(limit=5, where=[Event.type == "even"])
    second = events.find_page(limit=5, cursor=first.next_cursor, where=[Event.type == "even"])
    third = events.find_page(limit=5, cursor=second.next_cursor, where=[Event.type == "even"])
    numbers = [e.data["n"] for page in (first, second, third) for e in page.items]
    assert numbers == list(range(24, -1, -2))
    assert third.has_more is False


def test_an_exact_last_page_says_there_is_no_more(events):
    page = events.find_page(limit=25)
    assert len(page.items) == 25 and page.has_more is False and page.next_cursor is None


def test_a_composite_ascending_keyset(events):
    order = KeysetOrder((Event.type, Event.id), descending=False)
    first = events.find_page(limit=13, order=order)
    rest = events.find_page(limit=13, order=order, cursor=first.next_cursor)
    types = [e.type for e in first.items + rest.items]
    assert types == ["even"] * 13 + ["odd"] * 12


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !!",
        "",
        _cursor([]),
        _cursor({"id": 3}),
        _cursor(["3"]),
        _cursor([True]),
        _cursor([3.5]),
        _cursor([2**63]),
        _cursor([1, 2]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "A" * 600,
    ],
)
def test_malformed_cursors_are_refused(events, cursor):
    with pytest.raises(InvalidCursor):
        events.find_page(limit=5, cursor=cursor)
