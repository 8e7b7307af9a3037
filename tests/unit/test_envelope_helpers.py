"""The envelope helpers every endpoint uses: success, error, cursor page, no content."""

from __future__ import annotations

from envelopes import TIMESTAMP

from webapp.api.envelope import api_page, api_success, cursor_pagination, no_content
from webapp.api.schemas import UserPublic
from webapp.envelope import error_envelope
from webapp.repositories.keyset import Page


def test_success_wraps_data_and_meta(app):
    with app.test_request_context(headers={"X-Request-ID": "req-1"}):
        response = api_success({"x": 1}, 201, headers={"Location": "/x/1"})
    body = response.get_json()
    assert response.status_code == 201
    assert response.headers["Location"] == "/x/1"
    assert body["data"] == {"x": 1}
    assert body["meta"]["requestId"] == "req-1"
    assert TIMESTAMP.fullmatch(body["meta"]["timestamp"])
    assert "pagination" not in body["meta"]


def test_error_carries_code_message_and_details_only_when_given(app):
    with app.test_request_context():
        plain = error_envelope("NOT_FOUND", "Not found.", 404).get_json()
        detailed = error_envelope(
            "VALIDATION_ERROR", "Bad.", 422, details={"amount": "must be > 0"}
        )
    assert plain["error"] == {"code": "NOT_FOUND", "message": "Not found."}
    assert detailed.get_json()["error"]["details"] == {"amount": "must be > 0"}


def test_a_cursor_page_puts_its_pagination_in_meta(app):
    page = Page(items=[1, 2], next_cursor="abc", has_more=True)
    with app.test_request_context():
        body = api_page(page, 2, [{"n": 1}, {"n": 2}]).get_json()
    assert body["data"] == [{"n": 1}, {"n": 2}]
    assert body["meta"]["pagination"] == {"limit": 2, "nextCursor": "abc", "hasMore": True}
    last = Page(items=[3], next_cursor=None, has_more=False)
    assert cursor_pagination(last, 20) == {"limit": 20, "nextCursor": None, "hasMore": False}


def test_models_are_written_in_camel_case_with_string_ids(app):
    from datetime import UTC, datetime
    from types import SimpleNamespace

    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    user = SimpleNamespace(
        id=7,
        email="a@example.com",
        name="A",
        roles=["user"],
        is_active=True,
        created_at=now,
        updated_at=now,
    )
    with app.test_request_context():
        data = api_success([UserPublic.model_validate(user)]).get_json()["data"]
    assert data == [
        {
            "id": "7",
            "email": "a@example.com",
            "name": "A",
            "roles": ["user"],
            "isActive": True,
            "createdAt": "2026-11-24T15:00:00Z",
            "updatedAt": "2026-11-24T15:00:00Z",
        }
    ]


def test_no_content_has_no_body():
    response = no_content()
    assert response.status_code == 204
    assert response.get_data() == b""
