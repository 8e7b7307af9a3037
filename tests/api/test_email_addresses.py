"""One form of an email address everywhere: registration, login, password reset and its
per-email limit, a transfer's recipient and the admin search find one member however the
address is spelled (case, full-width letters, an ideographic full stop, a decomposed accent,
punycode); and a new address that mixes scripts or looks like a member's is refused."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import func, select

from tests.support.clients import PASSWORD, bearer
from tests.support.envelopes import assert_error, assert_success
from tests.support.mfa import sent_mails
from webapp.infra.extensions import db
from webapp.models import User

RESET_REQUEST = "/api/v1/auth/password-reset"
REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"

# Seven spellings of x@example.com that all reach one member.
SPELLINGS = [
    "x@example.com",
    "X@EXAMPLE.COM",
    "x@\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com",  # full-width EXAMPLE
    "x@example\u3002com",  # an ideographic full stop for the dot
    "x@\uff45xample.com",  # one full-width e
    " x@Example.com ",
    "x@example\uff0ecom",  # a full-width full stop
]


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def reset_mails(app) -> int:
    return len([m for m in sent_mails(app) if m.subject == "Reset your Tally password"])


def test_every_spelling_of_an_address_counts_in_one_reset_bucket(app, client, register):
    register("x@example.com")
    answers = [
        client.post(
            RESET_REQUEST, json={"email": email}, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        ).status_code
        for n, email in enumerate(SPELLINGS)
    ]
    assert answers == [202] * 5 + [429] * 2
    assert reset_mails(app) == 5


def test_every_spelling_of_an_address_counts_in_one_login_bucket(client, register):
    register("x@example.com")
    spellings = SPELLINGS + SPELLINGS[:4]  # eleven guesses, one more than the limit of ten
    answers = [
        client.post(
            LOGIN,
            json={"email": email, "password": "wrong password"},
            environ_base={"REMOTE_ADDR": f"10.0.1.{n}"},
        ).status_code
        for n, email in enumerate(spellings)
    ]
    assert answers == [401] * 10 + [429]


@pytest.mark.parametrize("typed", SPELLINGS)
def test_a_member_logs_in_with_any_spelling_of_their_address(client, register, typed):
    register("x@example.com")
    response = client.post(LOGIN, json={"email": typed, "password": PASSWORD})
    assert assert_success(response)["accessToken"]


@pytest.mark.parametrize(
    ("registered", "typed"),
    [
        (unicodedata.normalize("NFD", "jos\u00e9@example.com"), "jos\u00e9@example.com"),
        ("jos\u00e9@example.com", unicodedata.normalize("NFD", "jos\u00e9@example.com")),
        ("ana@b\u00fccher.de", "ana@xn--bcher-kva.de"),
        ("ana@xn--bcher-kva.de", "ANA@B\u00dcCHER.DE"),
    ],
    ids=["nfd-then-nfc", "nfc-then-nfd", "idn-then-punycode", "punycode-then-idn"],
)
def test_an_address_registered_one_way_logs_in_as_typed_another(
    client, register, registered, typed
):
    register(registered)
    response = client.post(LOGIN, json={"email": typed, "password": PASSWORD})
    assert assert_success(response)["accessToken"]
    page = client.post("/login", data={"email": typed, "password": PASSWORD})
    assert page.status_code == 302


def test_a_second_spelling_of_a_registered_address_is_taken(app, client, register):
    register("x@example.com")
    for typed in SPELLINGS[1:]:
        body = {"email": typed, "password": PASSWORD, "name": "Twin"}
        assert_error(client.post(REGISTER, json=body), 409, "CONFLICT")
    assert user_count(app) == 1


def test_a_transfer_finds_its_recipient_by_any_spelling(app, client, register, login, admin):
    register("payer@example.com")
    register("ana@b\u00fccher.de")
    payer = bearer(login("payer@example.com"))
    source = client.get("/api/v1/accounts", headers=payer).get_json()["data"][0]["id"]
    client.post(f"/api/v1/accounts/{source}/deposits", json={"amount": 500}, headers=admin)
    client.post("/login", data={"email": "payer@example.com", "password": PASSWORD})
    typed = {"from_account": source, "to": " ANA@XN--BCHER-KVA.DE ", "amount": "1.00"}
    asked = client.post("/transfer", data=typed)
    assert "ana@b\u00fccher.de" in asked.get_data(as_text=True)  # the confirmation names her
    response = client.post("/transfer/confirm", data={**typed, "key": "one-time"})
    assert response.status_code == 302
    ana = bearer(login("ana@b\u00fccher.de"))
    main = client.get("/api/v1/accounts", headers=ana).get_json()["data"][0]
    assert main["balance"] == 100


def test_the_admin_search_finds_a_member_by_any_spelling(client, register, admin):
    register("ana@b\u00fccher.de")
    found = client.get("/api/v1/users", query_string={"q": "ANA@XN--BCHER-KVA.DE"}, headers=admin)
    assert [user["email"] for user in assert_success(found)] == ["ana@b\u00fccher.de"]
    page = client.get("/admin/users", query_string={"q": "ana@xn--bcher-kva.de"}, headers=admin)
    assert page.status_code in (200, 302)  # the page itself is a browser's; the API is the check


# --- look-alikes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "\u0430lice@example.com",  # a Cyrillic a, then Latin
        "alice@ex\u0430mple.com",  # the same in the domain
        "paypa\u04cf@example.com",  # a Cyrillic palochka after Latin letters
    ],
)
def test_an_address_that_mixes_scripts_is_refused(app, client, email):
    body = {"email": email, "password": PASSWORD, "name": "Mallory"}
    error = assert_error(client.post(REGISTER, json=body), 422, "VALIDATION_ERROR")
    assert "writing systems" in error["details"]["email"]
    assert user_count(app) == 0


@pytest.mark.parametrize(
    ("existing", "look_alike"),
    [
        ("cocoa@example.com", "\u0441\u043e\u0441\u043e\u0430@example.com"),  # all Cyrillic
        ("x@example.com", "\uff58@example.com"),  # a full-width x (one script, Latin)
        ("\u0441\u043e\u0441\u043e\u0430@example.com", "cocoa@example.com"),  # the other way
    ],
)
def test_an_address_that_looks_like_a_members_is_refused(
    app, client, register, existing, look_alike
):
    register(existing)
    body = {"email": look_alike, "password": PASSWORD, "name": "Mallory"}
    error = assert_error(client.post(REGISTER, json=body), 422, "VALIDATION_ERROR")
    assert "looks like another member" in error["details"]["email"]
    assert user_count(app) == 1


def test_the_register_page_refuses_a_look_alike_on_its_email_field(app, client, register):
    register("cocoa@example.com")
    data = {"email": "\u0441\u043e\u0441\u043e\u0430@example.com", "password": PASSWORD,
            "confirm": PASSWORD, "name": "Mallory"}  # fmt: skip
    response = client.post("/register", data=data)
    assert response.status_code == 200  # the form again, with the field's error
    assert "looks like another member" in response.get_data(as_text=True)
    assert user_count(app) == 1


@pytest.mark.parametrize(
    "email",
    [
        "\u5c71\u7530\u305f\u308d\u3046@example.jp",  # kanji and hiragana: one Japanese name
        "jos\u00e9@b\u00fccher.de",
        "\u0438\u0432\u0430\u043d@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",  # Cyrillic
        "modem@example.com",  # beside modern@: two plain-ASCII addresses are two people
    ],
)
def test_an_address_in_one_writing_system_registers(client, register, email):
    register("modern@example.com")
    body = {"email": email, "password": PASSWORD, "name": "Someone"}
    assert_success(client.post(REGISTER, json=body), 201)
