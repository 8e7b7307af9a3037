"""How an operation answers: its result through its response model into the envelope, a
cursor page with its pagination, no content for a 204; the error envelope beside it."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from tests.support.envelopes import TIMESTAMP
from webapp.api.envelope import cursor_pagination, no_content
from webapp.api.operations import OPERATIONS, serialize
from webapp.edge.envelope import error_envelope, success_envelope
from webapp.repositories.keyset import Page

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def user(**fields) -> SimpleNamespace:
    base = dict(
        id=7,
        email="a@example.com",
        name="A",
        roles=("user",),
        is_active=True,
        email_verified=False,
        mfa_enabled=False,
        notify_money_received=True,
        created_at=NOW,
        updated_at=NOW,
    )
    return SimpleNamespace(**(base | fields))


def test_success_wraps_data_and_meta(app):
    with app.test_request_context(headers={"X-Request-ID": "req-1"}):
        response = success_envelope({"x": 1}, 201, headers={"Location": "/x/1"})
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


def test_an_answer_is_written_in_camel_case_with_string_ids_and_only_the_models_fields(app):
    secret = user(password_hash="$argon2id$…", session_ids=frozenset({1}))
    with app.test_request_context():
        response = serialize(OPERATIONS["get_me"], secret, None)
    assert response.status_code == 200
    assert response.get_json()["data"] == {
        "id": "7",
        "email": "a@example.com",
        "name": "A",
        "roles": ["user"],
        "isActive": True,
        "emailVerified": False,
        "mfaEnabled": False,
        "notifyMoneyReceived": True,
        "createdAt": "2026-11-24T15:00:00Z",
        "updatedAt": "2026-11-24T15:00:00Z",
        "closedAt": None,
    }


def test_a_cursor_page_puts_its_pagination_in_meta(app):
    page = Page(items=[user(id=1), user(id=2)], next_cursor="abc", has_more=True)
    with app.test_request_context():
        body = serialize(OPERATIONS["list_users"], page, 2).get_json()
    assert [item["id"] for item in body["data"]] == ["1", "2"]
    assert body["meta"]["pagination"] == {"limit": 2, "nextCursor": "abc", "hasMore": True}
    last = Page(items=[3], next_cursor=None, has_more=False)
    assert cursor_pagination(last, 20) == {"limit": 20, "nextCursor": None, "hasMore": False}


def test_a_created_resource_answers_with_the_operations_status(app):
    with app.test_request_context():
        response = serialize(OPERATIONS["register"], user(), None)
    assert response.status_code == 201


def test_an_operation_without_a_response_model_has_no_body(app):
    assert OPERATIONS["archive_product"].status == 204
    with app.test_request_context():
        response = serialize(OPERATIONS["archive_product"], None, None)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert no_content().get_data() == b""
