"""The personal access token service: its one set of rules (the API and the form both get
them from here), what only a login session may do, the admin's view, revoking every token
of a member inside another change, and the principal a token stands for."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.support.audit_log import events
from tests.support.clients import PASSWORD
from webapp.core.errors import Forbidden, InsufficientScope, NotFound, ValidationError
from webapp.core.tokens import hash_token
from webapp.infra.extensions import db
from webapp.models import PersonalAccessToken
from webapp.models.security import TOKEN_MAX_DAYS, TOKEN_MIN_DAYS, TOKEN_NAME_LENGTH
from webapp.models.user import ROLE_ADMIN
from webapp.services.access_tokens import (
    AccessTokenService,
    AccessTokenView,
    check_days,
    check_name,
    check_scopes,
    new_token,
    principal_for_personal_token,
    revoke_all_personal_tokens,
    token_records,
)
from webapp.services.auth import AuthService
from webapp.services.principal import Principal
from webapp.services.unit_of_work import transaction
from webapp.services.users.administration import UserAdminService
from webapp.services.users.registration import RegistrationService

pytestmark = pytest.mark.usefixtures("app_context")

service = AccessTokenService()


@pytest.fixture
def other_principal() -> Principal:
    user = RegistrationService().register(
        email="other@example.com", password=PASSWORD, name="Other"
    )
    return AuthService().acting_as(user.id)


def as_token(principal: Principal, scopes: frozenset[str] = frozenset({"write"})) -> Principal:
    return dataclasses.replace(principal, token_id=1, scopes=scopes)


# --- the rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kept"),
    [("nightly", "nightly"), ("  trimmed ", "trimmed"), ("Zürich 日本 🚀", "Zürich 日本 🚀")],
)
def test_a_name_is_kept_trimmed_in_any_script(name, kept):
    assert check_name(name) == kept
    assert check_name("x" * TOKEN_NAME_LENGTH) == "x" * TOKEN_NAME_LENGTH


@pytest.mark.parametrize("name", ["", "   ", "x" * (TOKEN_NAME_LENGTH + 1), "a\x00b", "tab\there"])
def test_a_name_that_is_empty_too_long_or_holds_control_characters_is_refused(name):
    with pytest.raises(ValidationError) as raised:
        check_name(name)
    assert set(raised.value.details) == {"name"}


@pytest.mark.parametrize(
    ("scopes", "kept"),
    [
        (["read"], ("read",)),
        (["write"], ("write",)),
        (["write", "read"], ("read", "write")),
        (["read", "read"], ("read",)),
    ],
)
def test_scopes_are_kept_once_each_in_their_owners_order(scopes, kept):
    assert check_scopes(scopes) == kept


@pytest.mark.parametrize("scopes", [[], ["admin"], ["read", "Write"], [""], ["read write"]])
def test_empty_or_unknown_scopes_are_refused(scopes):
    with pytest.raises(ValidationError) as raised:
        check_scopes(scopes)
    assert set(raised.value.details) == {"scopes"}


@pytest.mark.parametrize("days", [TOKEN_MIN_DAYS, 90, TOKEN_MAX_DAYS])
def test_days_from_1_to_365_are_taken(days):
    assert check_days(days) == days


@pytest.mark.parametrize("days", [0, -1, TOKEN_MAX_DAYS + 1, 1.5, 90.0, "90", True, None])
def test_other_days_are_refused(days):
    with pytest.raises(ValidationError) as raised:
        check_days(days)
    assert set(raised.value.details) == {"expires_in_days"}


def test_every_bad_field_is_reported_at_once_and_nothing_is_made(member_principal):
    with pytest.raises(ValidationError) as raised:
        service.create(member_principal, "", ["root"], 0)
    assert set(raised.value.details) == {"name", "scopes", "expires_in_days"}
    assert db.session.query(PersonalAccessToken).count() == 0


def test_a_new_token_is_the_prefix_and_256_random_bits():
    values = {new_token() for _ in range(50)}
    assert len(values) == 50
    assert all(re.fullmatch(r"tly_[A-Za-z0-9_-]{43}", value) for value in values)


# --- what only a login session may do ------------------------------------------------------


def test_a_token_may_not_make_list_or_revoke_tokens(member_principal):
    made = service.create(member_principal, "x", ["read"])
    for scopes in (frozenset({"read"}), frozenset({"read", "write"})):
        caller = as_token(member_principal, scopes)
        with pytest.raises(InsufficientScope):
            service.create(caller, "y", ["read"])
        with pytest.raises(InsufficientScope):
            service.list(caller)
        with pytest.raises(InsufficientScope):
            service.revoke(caller, made.id)
    assert [view.id for view in service.list(member_principal).items] == [made.id]


def test_the_view_of_a_token_carries_no_secret(member_principal):
    made = service.create(member_principal, "x", ["read"])
    assert made.token.startswith("tly_")
    fields = {f.name for f in dataclasses.fields(AccessTokenView)}
    assert fields == {"id", "user_id", "name", "scopes", "created_at", "expires_at", "last_used_at"}
    row = db.session.get(PersonalAccessToken, made.id)
    assert row.token_hash == hash_token(made.token)
    assert made.token not in repr(service.list(member_principal))


# --- admins ------------------------------------------------------------------------------------


def test_an_admin_lists_and_revokes_a_members_tokens(app, member_principal, admin_principal):
    made = service.create(member_principal, "ci", ["read", "write"])
    listed = service.list_for_user(admin_principal, member_principal.user_id)
    assert [(v.id, v.name, v.scopes) for v in listed] == [(made.id, "ci", ["read", "write"])]
    service.revoke_for_user(admin_principal, member_principal.user_id, made.id)
    assert service.list_for_user(admin_principal, member_principal.user_id) == []
    assert principal_for_personal_token(made.token) is None
    [revoked] = events(app, "user.token_revoked")
    assert (revoked.actor_id, revoked.subject) == (
        admin_principal.user_id,
        f"user:{member_principal.user_id}",
    )
    assert revoked.data == {"tokenId": str(made.id), "name": "ci", "scopes": ["read", "write"]}


def test_an_admin_names_the_tokens_owner_rightly_or_finds_nothing(
    member_principal, other_principal, admin_principal
):
    made = service.create(member_principal, "ci", ["read"])
    with pytest.raises(NotFound):
        service.revoke_for_user(admin_principal, other_principal.user_id, made.id)
    with pytest.raises(NotFound):
        service.revoke_for_user(admin_principal, member_principal.user_id, 999_999)
    assert principal_for_personal_token(made.token) is not None


def test_only_an_admin_with_a_login_uses_the_admin_helpers(
    member_principal, other_principal, admin_principal
):
    made = service.create(other_principal, "theirs", ["read"])
    for caller in (member_principal, as_token(admin_principal)):
        with pytest.raises(Forbidden):
            service.list_for_user(caller, other_principal.user_id)
        with pytest.raises(Forbidden):
            service.revoke_for_user(caller, other_principal.user_id, made.id)
    assert principal_for_personal_token(made.token) is not None


# --- revoking every token inside another change ------------------------------------------------


def test_revoke_all_counts_only_live_tokens_and_touches_no_one_else(
    member_principal, other_principal
):
    mine = [service.create(member_principal, f"t{n}", ["read"]) for n in range(3)]
    theirs = service.create(other_principal, "theirs", ["read"])
    service.revoke(member_principal, mine[0].id)
    for made in (*mine, theirs):
        principal_for_personal_token(made.token)  # cached
    assert transaction(lambda uow: revoke_all_personal_tokens(uow, member_principal.user_id)) == 2
    assert all(principal_for_personal_token(made.token) is None for made in mine)
    assert principal_for_personal_token(theirs.token) is not None
    assert transaction(lambda uow: revoke_all_personal_tokens(uow, member_principal.user_id)) == 0


def test_the_cache_is_forgotten_only_once_the_change_commits(member_principal):
    made = service.create(member_principal, "t", ["read"])
    assert principal_for_personal_token(made.token) is not None
    seen_inside = []

    def work(uow):
        revoke_all_personal_tokens(uow, member_principal.user_id)
        seen_inside.append(token_records.get(hash_token(made.token)))

    transaction(work)
    assert seen_inside[0] is not None and not seen_inside[0].revoked  # still the cached one
    assert principal_for_personal_token(made.token) is None


# --- the principal a token stands for ----------------------------------------------------------


def test_a_token_stands_for_its_member_with_its_scopes_and_no_session(member_principal):
    made = service.create(member_principal, "t", ["read"])
    principal = principal_for_personal_token(made.token)
    assert principal.user_id == member_principal.user_id
    assert (principal.session_id, principal.token_id) == (0, made.id)
    assert principal.scopes == frozenset({"read"})
    assert principal.via_personal_token and not principal.may_write()


def test_an_admins_token_never_holds_the_admin_role(admin_principal):
    made = service.create(admin_principal, "t", ["read", "write"])
    principal = principal_for_personal_token(made.token)
    assert principal.record.has_role(ROLE_ADMIN)
    assert not principal.has_role(ROLE_ADMIN) and not principal.is_admin
    assert principal.may_write()


def test_a_deactivated_members_token_stands_for_no_one(member_principal, admin_principal):
    made = service.create(member_principal, "t", ["read"])
    assert principal_for_personal_token(made.token) is not None
    UserAdminService().update_by_admin(
        admin_principal.user_id, member_principal.user_id, is_active=False
    )
    assert principal_for_personal_token(made.token) is None
    assert db.session.get(PersonalAccessToken, made.id).revoked_at is not None
