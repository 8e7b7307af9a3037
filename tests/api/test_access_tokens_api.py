"""Personal access tokens through /api/v1/tokens: made from a login session and shown
once, stored as a SHA-256 digest, used as `Authorization: Bearer tly_…`, and refused
(401) after expiry, revoke, deactivation and a password reset. Warm requests run no SQL;
`lastUsedAt` is written on first use and then at most once a minute."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets

import pytest
from sqlalchemy import update

from tests.support.access_tokens import TOKENS, make_token, pat, token_clock, token_rows
from tests.support.audit_log import events
from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from webapp.infra.extensions import db
from webapp.models import PersonalAccessToken
from webapp.models.base import utcnow
from webapp.services.access_tokens import revoke_all_personal_tokens
from webapp.services.unit_of_work import transaction

ME = "/api/v1/users/me"
TOKEN_SHAPE = re.compile(r"tly_[A-Za-z0-9_-]{43}")
EMAIL = "member@example.com"


@pytest.fixture
def clock(monkeypatch):
    return token_clock(monkeypatch)


def listed(client, headers) -> list[dict]:
    return assert_success(client.get(TOKENS, headers=headers))


def refused(response) -> None:
    """The answer to a token that does not work: the same as to any bad bearer."""
    assert_error(response, 401, "UNAUTHORIZED")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- making one -----------------------------------------------------------------------------


def test_creating_answers_the_token_once_and_stores_only_its_sha256(app, client, member):
    response = client.post(TOKENS, headers=member, json={"name": "nightly", "scopes": ["read"]})
    data = assert_success(response, 201)
    assert set(data) == {"id", "name", "scopes", "createdAt", "expiresAt", "lastUsedAt", "token"}
    assert TOKEN_SHAPE.fullmatch(data["token"])
    assert (data["name"], data["scopes"], data["lastUsedAt"]) == ("nightly", ["read"], None)
    [row] = token_rows(app)
    assert row.token_hash == hashlib.sha256(data["token"].encode()).hexdigest()
    stored = " ".join(str(getattr(row, column.key)) for column in PersonalAccessToken.__table__.c)
    assert data["token"] not in stored
    assert data["token"][4:] not in stored
    # Listed with its dates, never with the token or the digest.
    [item] = listed(client, member)
    assert set(item) == {"id", "name", "scopes", "createdAt", "expiresAt", "lastUsedAt"}
    assert data["token"] not in str(item) and row.token_hash not in str(item)


def test_a_token_lives_90_days_unless_told_1_to_365(app, client, member):
    default = make_token(client, member)
    shortest = make_token(client, member, days=1)
    longest = make_token(client, member, days=365)
    rows = {row.id: row for row in token_rows(app)}
    for made, days in ((default, 90), (shortest, 1), (longest, 365)):
        row = rows[int(made["id"])]
        assert (row.expires_at - row.created_at).days == days
        assert made["expiresAt"] == row.expires_at.isoformat().replace("+00:00", "Z")


def test_two_tokens_never_share_a_value(client, member):
    values = {make_token(client, member)["token"] for _ in range(5)}
    assert len(values) == 5


def test_scopes_are_kept_once_each_in_a_fixed_order(client, member):
    made = make_token(client, member, scopes=("write", "read"))
    assert made["scopes"] == ["read", "write"]
    assert make_token(client, member, scopes=("write", "write"))["scopes"] == ["write"]
    assert [t["scopes"] for t in listed(client, member)] == [["write"], ["read", "write"]]


@pytest.mark.parametrize(
    "name", ["Nächtlicher Export", "日本語のスクリプト", "export 🚀", "x" * 100, "  padded  "]
)
def test_any_script_of_name_is_kept_as_written(client, member, name):
    made = make_token(client, member, name=name)
    assert made["name"] == name.strip()
    assert listed(client, member)[0]["name"] == name.strip()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["admin"]}, "scopes.0"),
        ({"name": "x", "scopes": ["read", "delete"]}, "scopes.1"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": "read"}, "scopes"),
        ({"name": "x"}, "scopes"),
        ({"name": "x", "scopes": ["read"], "expiresInDays": 0}, "expiresInDays"),
        ({"name": "x", "scopes": ["read"], "expiresInDays": 366}, "expiresInDays"),
        ({"name": "x", "scopes": ["read"], "expiresInDays": -1}, "expiresInDays"),
        ({"name": "x", "scopes": ["read"], "expiresInDays": "90"}, "expiresInDays"),
        ({"name": "x", "scopes": ["read"], "expiresInDays": 1.5}, "expiresInDays"),
        ({"name": "x", "scopes": ["read"], "expiresInDays": True}, "expiresInDays"),
        ({"name": "x", "scopes": ["read"], "expiresInDays": None}, "expiresInDays"),
        ({"name": "x" * 1000, "scopes": ["read"]}, "name"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "   ", "scopes": ["read"]}, "name"),
        ({"name": "bell\x07", "scopes": ["read"]}, "name"),
        ({"name": "two\nlines", "scopes": ["read"]}, "name"),
        ({"name": 7, "scopes": ["read"]}, "name"),
        ({"scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": ["read"], "token": "tly_mine"}, "token"),
    ],
)
def test_bad_input_is_a_422_on_its_field_and_makes_nothing(app, client, member, body, field):
    error = assert_error(client.post(TOKENS, headers=member, json=body), 422, "VALIDATION_ERROR")
    assert field in error["details"]
    assert token_rows(app) == []
    assert events(app, "user.token_created") == []


def test_a_token_is_made_only_with_a_login(client):
    assert_error(client.post(TOKENS, json={"name": "x", "scopes": ["read"]}), 401, "UNAUTHORIZED")
    assert_error(client.get(TOKENS), 401, "UNAUTHORIZED")
    assert_error(client.delete(f"{TOKENS}/1"), 401, "UNAUTHORIZED")


# --- listing and revoking -----------------------------------------------------------------


def test_the_list_shows_live_tokens_newest_first_a_page_at_a_time(app, client, member):
    made = [make_token(client, member, name=f"t{n}") for n in range(5)]
    assert client.delete(f"{TOKENS}/{made[1]['id']}", headers=member).status_code == 204
    with app.app_context():  # made[2] has expired
        db.session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.id == int(made[2]["id"]))
            .values(expires_at=utcnow())
        )
        db.session.commit()
    first = client.get(f"{TOKENS}?limit=1", headers=member)
    assert [t["name"] for t in assert_success(first)] == ["t4"]
    cursor = first.get_json()["meta"]["pagination"]["nextCursor"]
    rest = assert_success(client.get(f"{TOKENS}?limit=5&cursor={cursor}", headers=member))
    assert [t["name"] for t in rest] == ["t3", "t0"]


def test_each_member_lists_only_their_own(client, member, register, login):
    make_token(client, member, name="mine")
    register("other@example.com")
    other = bearer(login("other@example.com"))
    assert listed(client, other) == []


def test_revoking_kills_the_token_at_once_and_is_recorded(app, client, member):
    made = make_token(client, member, name="ci", scopes=("read", "write"))
    assert_success(client.get(ME, headers=pat(made)))  # warm: cached
    response = client.delete(f"{TOKENS}/{made['id']}", headers=member)
    assert (response.status_code, response.get_data()) == (204, b"")
    refused(client.get(ME, headers=pat(made)))
    assert listed(client, member) == []
    [created] = events(app, "user.token_created")
    [revoked] = events(app, "user.token_revoked")
    about = {"tokenId": made["id"], "name": "ci", "scopes": ["read", "write"]}
    assert (created.data, created.subject, created.actor_id) == (about, "user:1", 1)
    assert (revoked.data, revoked.subject, revoked.actor_id) == (about, "user:1", 1)


def test_another_members_token_an_unknown_one_and_a_revoked_one_are_not_found_alike(
    app, client, member, register, login
):
    made = make_token(client, member)
    register("other@example.com")
    other = bearer(login("other@example.com"))
    theirs = assert_error(client.delete(f"{TOKENS}/{made['id']}", headers=other), 404, "NOT_FOUND")
    unknown = assert_error(client.delete(f"{TOKENS}/999999", headers=other), 404, "NOT_FOUND")
    assert theirs == unknown
    assert_error(client.delete(f"{TOKENS}/abc", headers=member), 404, "NOT_FOUND")
    assert_success(client.get(ME, headers=pat(made)))  # still works
    assert client.delete(f"{TOKENS}/{made['id']}", headers=member).status_code == 204
    again = assert_error(client.delete(f"{TOKENS}/{made['id']}", headers=member), 404, "NOT_FOUND")
    assert again == unknown
    assert len(events(app, "user.token_revoked")) == 1


# --- what a token may do ----------------------------------------------------------------------


def test_a_read_token_reads_as_its_member(client, member):
    made = make_token(client, member)
    assert assert_success(client.get(ME, headers=pat(made)))["email"] == EMAIL
    assert assert_success(client.get("/api/v1/accounts", headers=pat(made)))[0]["name"] == "Main"


def test_a_write_token_can_transfer(client, member, admin):
    made = make_token(client, member, scopes=("write",))
    main = assert_success(client.get("/api/v1/accounts", headers=member))[0]
    deposit = client.post(
        f"/api/v1/accounts/{main['id']}/deposits", json={"amount": 50_00}, headers=admin
    )
    assert_success(deposit, 201)
    savings = assert_success(
        client.post("/api/v1/accounts", json={"name": "Savings"}, headers=pat(made)), 201
    )
    body = {"fromAccountId": main["id"], "toAccountId": savings["id"], "amount": 12_00}
    moved = assert_success(client.post("/api/v1/transfers", json=body, headers=pat(made)), 201)
    assert moved["amount"] == 12_00
    balance = assert_success(client.get(f"/api/v1/accounts/{savings['id']}", headers=pat(made)))
    assert balance["balance"] == 12_00


def test_a_read_token_cannot_transfer_and_nothing_moves(client, member, admin):
    made = make_token(client, member)
    main = assert_success(client.get("/api/v1/accounts", headers=member))[0]
    client.post(f"/api/v1/accounts/{main['id']}/deposits", json={"amount": 50_00}, headers=admin)
    body = {"fromAccountId": main["id"], "toAccountId": main["id"], "amount": 1}
    assert_error(
        client.post("/api/v1/transfers", json=body, headers=pat(made)), 403, "INSUFFICIENT_SCOPE"
    )
    assert (
        assert_success(client.get(f"/api/v1/accounts/{main['id']}", headers=member))["balance"]
        == 50_00
    )


def test_a_token_cannot_manage_tokens_even_with_write(app, client, member):
    made = make_token(client, member, scopes=("read", "write"))
    token = pat(made)
    body = {"name": "child", "scopes": ["read"]}
    assert_error(client.post(TOKENS, headers=token, json=body), 403, "INSUFFICIENT_SCOPE")
    assert_error(client.get(TOKENS, headers=token), 403, "INSUFFICIENT_SCOPE")
    assert_error(client.delete(f"{TOKENS}/{made['id']}", headers=token), 403, "INSUFFICIENT_SCOPE")
    assert len(token_rows(app)) == 1
    assert_success(client.get(ME, headers=token))  # not revoked by its own try


def test_a_token_cannot_change_the_password_or_the_second_factor(client, member, login):
    token = pat(make_token(client, member, scopes=("read", "write")))
    change = {"currentPassword": PASSWORD, "newPassword": "a-brand-new-passphrase"}
    assert_error(client.patch(ME, headers=token, json=change), 403, "INSUFFICIENT_SCOPE")
    assert_error(client.post("/api/v1/users/me/mfa/totp", headers=token), 403, "INSUFFICIENT_SCOPE")
    assert_error(
        client.delete(
            "/api/v1/users/me/mfa/totp",
            headers=token,
            json={"password": PASSWORD, "code": "123456"},
        ),
        403,
        "INSUFFICIENT_SCOPE",
    )
    assert login(EMAIL)["accessToken"]  # the password is unchanged
    assert assert_success(client.get(ME, headers=member))["mfaEnabled"] is False
    # A rename is not a credential: a write token may do it.
    assert (
        assert_success(client.patch(ME, headers=token, json={"name": "Renamed"}))["name"]
        == "Renamed"
    )


def test_log_out_everywhere_ends_sessions_but_not_tokens(client, member):
    token = pat(make_token(client, member, scopes=("write",)))
    assert client.post("/api/v1/auth/logout-all", headers=member).status_code == 204
    refused(client.get(ME, headers=member))
    assert_success(client.get(ME, headers=token))


# --- when a token dies ------------------------------------------------------------------------


def test_an_expired_token_is_refused_before_and_after_it_was_cached(app, client, member, clock):
    aged = make_token(client, member, name="aged")
    with app.app_context():
        db.session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.id == int(aged["id"]))
            .values(expires_at=utcnow())
        )
        db.session.commit()
    refused(client.get(ME, headers=pat(aged)))

    warm = make_token(client, member, name="warm", days=1)
    assert_success(client.get(ME, headers=pat(warm)))
    clock.move(hours=23, minutes=59)
    assert_success(client.get(ME, headers=pat(warm)))
    clock.move(minutes=2)
    refused(client.get(ME, headers=pat(warm)))


def test_deactivation_kills_every_token_for_good(app, client, member, admin, login):
    tokens = [make_token(client, member, name=f"t{n}", scopes=("write",)) for n in range(2)]
    for made in tokens:
        assert_success(client.get(ME, headers=pat(made)))
    user_id = assert_success(client.get(ME, headers=member))["id"]
    off = client.patch(f"/api/v1/users/{user_id}", json={"isActive": False}, headers=admin)
    assert assert_success(off)["isActive"] is False
    for made in tokens:
        refused(client.get(ME, headers=pat(made)))
    [updated] = [e for e in events(app, "user.updated") if "isActive" in e.data]
    assert updated.data["tokensRevoked"] == 2
    # Turned back on, the member logs in again; the tokens stay dead.
    client.patch(f"/api/v1/users/{user_id}", json={"isActive": True}, headers=admin)
    for made in tokens:
        refused(client.get(ME, headers=pat(made)))
    assert listed(client, bearer(login(EMAIL))) == []


def test_revoke_all_personal_tokens_kills_warm_tokens_once_it_commits(app, client, member):
    made = make_token(client, member)
    assert_success(client.get(ME, headers=pat(made)))
    user_id = int(assert_success(client.get(ME, headers=member))["id"])
    with app.app_context():
        counted = transaction(lambda uow: revoke_all_personal_tokens(uow, user_id))
    assert counted == 1
    refused(client.get(ME, headers=pat(made)))
    assert token_rows(app)[0].revoked_at is not None


def test_revoke_all_that_rolls_back_revokes_nothing(app, client, member):
    made = make_token(client, member)
    assert_success(client.get(ME, headers=pat(made)))

    def fails(uow):
        revoke_all_personal_tokens(uow, 1)
        raise RuntimeError("the rest of the change failed")

    with app.app_context(), pytest.raises(RuntimeError):
        transaction(fails)
    assert_success(client.get(ME, headers=pat(made)))
    assert token_rows(app)[0].revoked_at is None


@pytest.mark.parametrize(
    "forged",
    [
        "tly_",
        "tly_" + "A" * 43,
        "tly_" + secrets.token_urlsafe(32),
        "tly_" + secrets.token_urlsafe(32) + "=",
        "tly_eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "TLY_" + secrets.token_urlsafe(32),
        "tly_" + "é" * 43,
        "tly_" + "x" * 4000,
    ],
)
def test_forged_tokens_are_refused_like_any_bad_token(client, member, forged):
    make_token(client, member)
    refused(client.get(ME, headers=pat(forged)))
    refused(client.get(ME, headers=pat(forged)))  # negatively cached, same answer


def test_near_misses_of_a_real_token_are_refused(app, client, member, login):
    made = make_token(client, member)
    value = made["token"]
    flipped = value[:-1] + ("A" if value[-1] != "A" else "B")
    for near in (flipped, value[:-1], value + "A", value.upper(), token_rows(app)[0].token_hash):
        refused(client.get(ME, headers=pat(near)))
    # A JWT access token behind the prefix is not a personal token either.
    refused(client.get(ME, headers=pat("tly_" + login(EMAIL)["accessToken"])))
    assert_success(client.get(ME, headers=pat(made)))


def test_a_token_in_the_query_string_is_ignored(client, member):
    made = make_token(client, member)
    assert_error(client.get(f"{ME}?access_token={made['token']}"), 401, "UNAUTHORIZED")


# --- the cache and lastUsedAt -----------------------------------------------------------------


def test_a_warm_token_request_runs_no_sql(client, member, count_statements):
    made = make_token(client, member)
    assert_success(client.get(ME, headers=pat(made)))  # first use: loads and writes lastUsedAt
    with count_statements() as counter:
        for _ in range(3):
            assert_success(client.get(ME, headers=pat(made)))
    assert counter.statements == []


def test_last_used_is_null_until_the_first_use_then_written_at_most_once_a_minute(
    app, client, member, clock, count_statements
):
    made = make_token(client, member)
    assert listed(client, member)[0]["lastUsedAt"] is None
    assert token_rows(app)[0].last_used_at is None

    assert_success(client.get(ME, headers=pat(made)))
    first = token_rows(app)[0].last_used_at
    assert first is not None
    assert listed(client, member)[0]["lastUsedAt"] is not None

    clock.move(seconds=59)
    with count_statements() as counter:
        assert_success(client.get(ME, headers=pat(made)))
    assert counter.statements == []
    assert token_rows(app)[0].last_used_at == first

    clock.move(seconds=2)
    with count_statements() as counter:
        assert_success(client.get(ME, headers=pat(made)))
    assert any(s.lstrip().upper().startswith("UPDATE") for s in counter.statements)
    later = token_rows(app)[0].last_used_at
    assert (later - first).total_seconds() >= 60
    with count_statements() as counter:
        assert_success(client.get(ME, headers=pat(made)))  # warm again
    assert counter.statements == []


# --- no token anywhere but the answer to its creation -------------------------------------


def test_token_values_never_reach_logs_events_or_other_answers(
    app, client, member, admin, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    capsys.readouterr()
    made = make_token(client, member, scopes=("read", "write"))
    value = made["token"]
    answers = [
        client.get(ME, headers=pat(made)),
        client.get(TOKENS, headers=member),
        client.post("/api/v1/transfers", headers=pat(made), json={}),
        client.get(ME, headers=pat(value + "x")),
        client.post(TOKENS, headers=pat(made), json={"name": "x", "scopes": ["read"]}),
        client.get("/api/v1/admin/stats", headers=pat(made)),
        client.delete(f"{TOKENS}/{made['id']}", headers=member),
        client.get(ME, headers=pat(made)),
    ]
    digest = token_rows(app)[0].token_hash
    captured = capsys.readouterr()
    written = caplog.text + captured.out + captured.err
    stored = " ".join(f"{e.type} {e.subject} {e.data}" for e in events(app))
    for secret in (value, value[4:], digest):
        assert secret not in written
        assert secret not in stored
        for answer in answers:
            assert secret not in answer.get_data(as_text=True)
            assert secret not in str(answer.headers)
