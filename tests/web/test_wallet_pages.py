"""The wallet pages: the dashboard, an account's history, and sending money in the browser."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.support.clients import PASSWORD, bearer
from tests.support.mfa import sent_mails
from tests.support.pages import all_field_errors, browser, flashes, soup, table_rows
from tests.support.wallet_world import WalletWorld
from webapp.core.money import NOT_AN_AMOUNT

EMAIL = "member@example.com"
OTHER_EMAIL = "other@example.com"
ADMIN_EMAIL = "admin@example.com"
CONFIRM = "/transfer/confirm"


World = WalletWorld


@pytest.fixture
def world(client, register, login, make_admin) -> World:
    register(EMAIL, "Member")
    register(OTHER_EMAIL, "Other")
    make_admin(ADMIN_EMAIL)
    member, other = login(EMAIL), login(OTHER_EMAIL)
    world = World(client, login(ADMIN_EMAIL), member, other, main="", other_main="")
    (world.main,) = world.accounts(member)
    (world.other_main,) = world.accounts(other)
    world.deposit(world.main, 10000, "Opening balance")
    return world


@pytest.fixture
def member_browser(app, world) -> FlaskClient:
    return browser(app)


def ask(client: FlaskClient, world: World, **fields: str):
    """The transfer form's first POST: a confirmation page, or the form with its refusals."""
    data = {"from_account": world.main, "to": world.other_main, "amount": "12.50", "memo": ""}
    data.update(fields)
    return client.post("/transfer", data=data)


def confirmation(response) -> dict[str, str]:
    """The fields the confirmation page's "Send" posts."""
    form = soup(response).find("form", action=CONFIRM)
    assert form is not None, response.get_data(as_text=True)
    return {field["name"]: field.get("value", "") for field in form.find_all("input")}


def send(client: FlaskClient, world: World, **fields: str):
    """Fill the form and confirm: how money moves from the page. A refused form (or a
    redirect to log in) comes back as it is."""
    response = ask(client, world, **fields)
    if response.status_code != 200 or soup(response).find("form", action=CONFIRM) is None:
        return response
    return client.post(CONFIRM, data=confirmation(response))


# --- dashboard ----------------------------------------------------------------------------


def test_the_dashboard_lists_the_accounts_with_decimal_balances(member_browser, world):
    savings = world.open_account(world.member, "Savings", "EUR")
    world.deposit(savings, 2550)
    response = member_browser.get("/dashboard")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = soup(response)
    assert table_rows(page, "table.accounts") == [
        ["Main", world.main, "100.00 USD"],
        ["Savings", savings, "25.50 EUR"],
    ]
    links = [a["href"] for a in page.select("table.accounts a")]
    assert links == [f"/accounts/{world.main}", f"/accounts/{savings}"]
    assert page.find("a", href="/transfer")


def test_the_dashboard_shows_recent_activity_newest_first_signed(member_browser, world):
    send(member_browser, world, amount="12.50", memo="Lunch")
    page = soup(member_browser.get("/dashboard"))
    rows = table_rows(page, "table.activity")
    assert [row[1:] for row in rows] == [
        ["Main", "Sent to Other", "Lunch", "-12.50 USD"],
        ["Main", "Deposit", "Opening balance", "+100.00 USD"],
    ]
    assert table_rows(page, "table.accounts")[0][-1] == "87.50 USD"


def test_the_dashboard_shows_only_the_ten_latest_movements_and_only_mine(member_browser, world):
    for cents in range(1, 13):
        world.deposit(world.main, cents)
    world.deposit(world.other_main, 777)
    page = soup(member_browser.get("/dashboard"))
    amounts = [row[-1] for row in table_rows(page, "table.activity")]
    assert amounts == [f"+0.{cents:02d} USD" for cents in range(12, 2, -1)]
    more = page.select_one(".more-history")
    assert more.get_text() == "See the full history of Main."
    assert [a["href"] for a in more.find_all("a")] == [f"/accounts/{world.main}"]


def test_the_full_history_link_names_every_account_when_there_are_several(member_browser, world):
    savings = world.open_account(world.member, "Savings", "EUR")
    travel = world.open_account(world.member, "Travel", "USD")
    for cents in range(1, 11):  # with the opening deposit: 11 lines, one more than fits
        world.deposit(savings, cents)
    more = soup(member_browser.get("/dashboard")).select_one(".more-history")
    assert more.get_text() == "See the full history of Main, Savings or Travel."
    links = [a["href"] for a in more.find_all("a")]
    assert links == [f"/accounts/{world.main}", f"/accounts/{savings}", f"/accounts/{travel}"]


def test_the_dashboard_links_no_full_history_when_every_line_fits(member_browser, world):
    for cents in range(1, 10):  # with the opening deposit: exactly ten lines
        world.deposit(world.main, cents)
    page = soup(member_browser.get("/dashboard"))
    assert len(table_rows(page, "table.activity")) == 10
    assert page.select_one(".more-history") is None


def test_a_new_members_empty_dashboard_says_how_money_gets_in(app, register):
    register("newcomer@example.com", "Newcomer")
    response = browser(app, "newcomer@example.com").get("/dashboard")
    assert response.status_code == 200
    page = soup(response)
    assert table_rows(page, "table.accounts")[0][-1] == "0.00 USD"
    assert " ".join(page.select_one(".wallet-empty").get_text().split()) == (
        "Your wallet is empty. Money arrives when another member sends it to you — give them "
        "your email, newcomer@example.com — or when an administrator makes a deposit. You can"
        " also ask another member for money."
    )
    assert page.select_one("table.activity") is None
    assert page.select_one("main .empty:not(.wallet-empty)").get_text(strip=True) == (
        "No money has moved yet."
    )
    # Sending and shopping need money: the page offers neither.
    content = page.select_one("main")
    assert content.find("a", href="/transfer") is None
    assert content.find("a", href="/shop") is None


def test_a_member_with_money_is_not_told_the_wallet_is_empty(member_browser, world):
    page = soup(member_browser.get("/dashboard"))
    assert page.select_one(".wallet-empty") is None
    assert page.select_one("main").find("a", href="/transfer")


def test_the_dashboard_sends_an_anonymous_visitor_to_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fdashboard"


def test_the_nav_links_to_the_dashboard_and_transfer_for_members_only(member_browser, app):
    nav = soup(member_browser.get("/dashboard")).select_one("header nav")
    hrefs = [a["href"] for a in nav.find_all("a")]
    assert "/dashboard" in hrefs and "/transfer" in hrefs and "/settings" in hrefs
    anonymous = soup(app.test_client().get("/")).select_one("header nav")
    assert "/dashboard" not in [a["href"] for a in anonymous.find_all("a")]


# --- an account's page --------------------------------------------------------------------


def test_the_account_page_shows_history_newest_first_with_balance_after(member_browser, world):
    send(member_browser, world, amount="12.50", memo="Lunch")
    response = member_browser.get(f"/accounts/{world.main}")
    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Main"
    assert page.select_one(".balance").get_text(strip=True) == "87.50 USD"
    assert [row[1:] for row in table_rows(page, "table.history")] == [
        ["Sent to Other", "Lunch", "-12.50 USD", "87.50 USD"],
        ["Deposit", "Opening balance", "+100.00 USD", "100.00 USD"],
    ]
    assert page.find("a", rel="next") is None


def test_the_older_link_walks_every_entry_exactly_once(member_browser, world):
    for cents in range(1, 45):  # with the opening deposit: 45 entries
        world.deposit(world.main, cents, f"deposit {cents}")
    seen: list[str] = []
    pages = 0
    url: str | None = f"/accounts/{world.main}"
    while url:
        response = member_browser.get(url)
        assert response.status_code == 200
        page = soup(response)
        rows = table_rows(page, "table.history")
        assert 0 < len(rows) <= 20
        seen += [row[2] for row in rows]  # the memo
        pages += 1
        older = page.find("a", rel="next")
        url = older["href"] if older else None
        if url:
            assert url.startswith(f"/accounts/{world.main}?cursor=")
    assert pages == 3
    assert seen == [f"deposit {cents}" for cents in range(44, 0, -1)] + ["Opening balance"]


def test_another_members_account_page_is_the_404_page(member_browser, world):
    world.deposit(world.other_main, 5000, "secret memo")
    response = member_browser.get(f"/accounts/{world.other_main}")
    assert response.status_code == 404
    page = soup(response)
    assert page.select_one(".error-status").string == "404"
    assert "secret memo" not in response.get_data(as_text=True)
    assert "50.00" not in response.get_data(as_text=True)


def test_an_unknown_account_page_is_the_404_page(member_browser):
    response = member_browser.get("/accounts/999999")
    assert response.status_code == 404
    assert soup(response).select_one(".error-status").string == "404"


def test_a_malformed_cursor_is_the_400_page(member_browser, world):
    response = member_browser.get(f"/accounts/{world.main}", query_string={"cursor": "garbage"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert soup(response).select_one(".error-status").string == "400"


def test_an_account_page_sends_an_anonymous_visitor_to_login(client, world):
    response = client.get(f"/accounts/{world.main}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=%2Faccounts%2F{world.main}"


def test_the_account_page_runs_as_many_statements_for_20_entries_as_for_2(
    member_browser, world, count_statements
):
    world.deposit(world.main, 1)
    with count_statements() as few:
        assert member_browser.get(f"/accounts/{world.main}").status_code == 200
    for cents in range(2, 22):
        world.deposit(world.main, cents)
    with count_statements() as many:
        assert member_browser.get(f"/accounts/{world.main}").status_code == 200
    assert many.count == few.count


def test_the_dashboard_runs_as_many_statements_for_10_entries_as_for_1(
    member_browser, world, count_statements
):
    with count_statements() as few:
        assert member_browser.get("/dashboard").status_code == 200
    world.open_account(world.member, "Savings", "USD")
    for cents in range(1, 12):
        world.deposit(world.main, cents)
    with count_statements() as many:
        assert member_browser.get("/dashboard").status_code == 200
    assert many.count == few.count


# --- transfer: the form -------------------------------------------------------------------


def test_the_transfer_form_offers_only_my_accounts_with_balances(member_browser, world):
    savings = world.open_account(world.member, "Savings", "EUR")
    world.open_account(world.other, "Theirs", "USD")
    response = member_browser.get("/transfer")
    assert response.status_code == 200
    page = soup(response)
    options = page.select("select[name=from_account] option")
    assert [(o["value"], o.get_text(strip=True)) for o in options] == [
        (world.main, "Main — 100.00 USD"),
        (savings, "Savings — 0.00 EUR"),
    ]
    for name in ("from_account", "to", "amount", "memo"):
        control = page.find(attrs={"name": name})
        assert page.find("label", attrs={"for": control["id"]}), name
    assert page.find("form", action="/transfer")["method"] == "post"


def test_the_send_button_on_an_account_page_preselects_it(member_browser, world):
    savings = world.open_account(world.member, "Savings", "EUR")
    account_page = soup(member_browser.get(f"/accounts/{savings}"))
    link = account_page.find("a", string="Send from this account")
    page = soup(member_browser.get(link["href"]))
    assert page.select_one("select[name=from_account] option[selected]")["value"] == savings


def test_the_transfer_page_sends_an_anonymous_visitor_to_login(app, world):
    anonymous = app.test_client()
    assert anonymous.get("/transfer").headers["Location"] == "/login?next=%2Ftransfer"
    response = send(anonymous, world)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert world.balances() == {world.main: 10000, world.other_main: 0}


# --- transfer: success --------------------------------------------------------------------


def test_a_transfer_moves_exactly_the_amount_and_goes_to_the_account(member_browser, world):
    response = send(member_browser, world, amount="12.50", memo="Lunch")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/accounts/{world.main}"
    assert world.balances() == {world.main: 8750, world.other_main: 1250}
    page = soup(member_browser.get(response.headers["Location"]))
    assert flashes(page) == ["Sent 12.50 USD to Other."]
    assert table_rows(page, "table.history")[0][1:] == [
        "Sent to Other",
        "Lunch",
        "-12.50 USD",
        "87.50 USD",
    ]
    other_page = soup(browser(member_browser.application, OTHER_EMAIL).get("/dashboard"))
    assert table_rows(other_page, "table.activity")[0][1:] == [
        "Main",
        "Received from Member",
        "Lunch",
        "+12.50 USD",
    ]


def test_a_transfer_to_a_members_email_lands_in_their_main(member_browser, world):
    spare = world.open_account(world.other, "Spare", "USD")
    response = send(member_browser, world, to="  Other@Example.COM ", amount="3")
    assert response.status_code == 302
    assert world.balances() == {world.main: 9700, world.other_main: 300, spare: 0}


@pytest.mark.parametrize(
    ("typed", "sent"), [("12.5", 1250), (" 7.05 ", 705), ("3", 300), ("0.5", 50), ("5.", 500)]
)
def test_an_amount_typed_as_a_plain_decimal_is_read_exactly(member_browser, world, typed, sent):
    assert send(member_browser, world, amount=typed).status_code == 302
    assert world.balances() == {world.main: 10000 - sent, world.other_main: sent}


def test_the_whole_balance_can_be_sent(member_browser, world):
    assert send(member_browser, world, amount="100.00").status_code == 302
    assert world.balances() == {world.main: 0, world.other_main: 10000}


# --- transfer: the confirmation step ------------------------------------------------------


def test_the_confirmation_names_the_recipient_and_moves_no_money(member_browser, world):
    response = ask(member_browser, world, to=OTHER_EMAIL, amount="12.50", memo="Lunch")
    assert response.status_code == 200
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Confirm the transfer"
    summary = page.select_one("dl.transfer-summary").get_text(" ", strip=True)
    assert "Other" in summary and OTHER_EMAIL in summary
    assert page.select_one(".amount").get_text(strip=True) == "12.50 USD"
    assert page.select_one(".source").get_text(strip=True) == f"Main (account {world.main})"
    assert page.select_one(".memo").get_text(strip=True) == "Lunch"
    fields = confirmation(response)
    assert {name: fields[name] for name in ("from_account", "to", "amount", "memo")} == {
        "from_account": world.main,
        "to": OTHER_EMAIL,
        "amount": "12.50",
        "memo": "Lunch",
    }
    assert fields["key"]
    assert page.find("button", string="Send")
    assert world.balances() == {world.main: 10000, world.other_main: 0}


def test_each_confirmation_page_carries_a_new_key(member_browser, world):
    first, second = (confirmation(ask(member_browser, world))["key"] for _ in range(2))
    assert first != second


def test_change_brings_back_the_form_as_it_was_filled(member_browser, world):
    fields = confirmation(ask(member_browser, world, amount="7.05", memo="Books"))
    button = soup(ask(member_browser, world, amount="7.05", memo="Books")).find(
        "button", attrs={"name": "edit"}
    )
    assert button["formaction"] == "/transfer"
    response = member_browser.post("/transfer", data={**fields, "edit": "1"})
    assert response.status_code == 200
    page = soup(response)
    assert page.find("form", action="/transfer") and not page.find("form", action=CONFIRM)
    assert page.find("input", attrs={"name": "amount"})["value"] == "7.05"
    assert page.find("input", attrs={"name": "memo"})["value"] == "Books"
    assert all_field_errors(page) == {}
    assert world.balances() == {world.main: 10000, world.other_main: 0}


def test_confirming_twice_sends_once_and_says_so(member_browser, world):
    fields = confirmation(ask(member_browser, world, amount="12.50"))
    first = member_browser.post(CONFIRM, data=fields)
    again = member_browser.post(CONFIRM, data=fields)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == f"/accounts/{world.main}"
    assert world.balances() == {world.main: 8750, world.other_main: 1250}
    page = soup(member_browser.get(again.headers["Location"]))
    assert flashes(page) == ["Sent 12.50 USD to Other.", "This transfer was already sent."]
    assert len(table_rows(page, "table.history")) == 2  # the deposit and one transfer


def test_a_transfer_sent_from_the_page_mails_the_recipient_once(app, member_browser, world):
    fields = confirmation(ask(member_browser, world, amount="12.50", memo="Tickets"))
    member_browser.post(CONFIRM, data=fields)
    member_browser.post(CONFIRM, data=fields)
    arrived = [m for m in sent_mails(app) if m.subject == "Money arrived in your Tally account"]
    assert [m.to for m in arrived] == [[EMAIL], [OTHER_EMAIL]]  # the deposit's, the transfer's
    assert "Member (member@example.com) sent you 12.50 USD" in arrived[1].body
    assert f"/accounts/{world.other_main}" in arrived[1].body


def test_a_confirmation_with_a_changed_amount_and_a_used_key_is_refused(member_browser, world):
    fields = confirmation(ask(member_browser, world, amount="12.50"))
    assert member_browser.post(CONFIRM, data=fields).status_code == 302
    response = member_browser.post(CONFIRM, data={**fields, "amount": "50.00"})
    assert response.status_code == 200
    assert "This confirmation no longer matches" in soup(response).select_one(
        ".form-errors"
    ).get_text(strip=True)
    assert world.balances() == {world.main: 8750, world.other_main: 1250}


def test_a_confirmation_from_another_members_account_is_refused(member_browser, world):
    world.deposit(world.other_main, 5000)
    fields = confirmation(ask(member_browser, world))
    forged = {**fields, "from_account": world.other_main, "to": world.main}
    before = world.balances()
    assert_refused(
        member_browser.post(CONFIRM, data=forged),
        world,
        "from_account",
        "Not a valid choice.",
        before,
    )


def test_a_confirmation_without_its_key_is_refused(member_browser, world):
    fields = confirmation(ask(member_browser, world))
    del fields["key"]
    response = member_browser.post(CONFIRM, data=fields)
    assert response.status_code == 200
    assert soup(response).select_one(".form-errors")
    assert world.balances() == {world.main: 10000, world.other_main: 0}


def test_a_confirmation_the_balance_no_longer_covers_is_refused(member_browser, world):
    fields = confirmation(ask(member_browser, world, amount="80.00"))
    assert send(member_browser, world, amount="30.00").status_code == 302
    before = world.balances()
    response = member_browser.post(CONFIRM, data=fields)
    assert_refused(response, world, "amount", "The account does not hold enough money.", before)


def test_the_confirm_endpoint_refuses_a_get(member_browser):
    assert member_browser.get(CONFIRM).status_code == 405


# --- every money line names the other side ------------------------------------------------


def test_the_pages_name_the_member_the_deposit_and_the_shop_order(member_browser, world):
    product = world.api.post(
        "/api/v1/products",
        json={"sku": "MUG", "name": "Mug", "price": 400, "stock": 5},
        headers=bearer(world.admin),
    ).get_json()["data"]
    order = {"accountId": world.main, "items": [{"productId": product["id"], "quantity": 1}]}
    assert (
        world.api.post("/api/v1/orders", json=order, headers=bearer(world.member)).status_code
        == 201
    )
    send(member_browser, world, amount="1.00")
    world.api.post(
        "/api/v1/transfers",
        json={"fromAccountId": world.other_main, "toAccountId": world.main, "amount": 50},
        headers=bearer(world.other),
    )
    expected = ["Received from Other", "Sent to Other", "Shop order", "Deposit"]
    history = table_rows(soup(member_browser.get(f"/accounts/{world.main}")), "table.history")
    assert [row[1] for row in history] == expected
    activity = table_rows(soup(member_browser.get("/dashboard")), "table.activity")
    assert [row[2] for row in activity] == expected


def test_the_account_page_runs_as_many_statements_for_20_transfers_as_for_2(
    member_browser, world, count_statements
):
    for _ in range(2):
        send(member_browser, world, amount="0.01")
    with count_statements() as few:
        assert member_browser.get(f"/accounts/{world.main}").status_code == 200
        assert member_browser.get("/dashboard").status_code == 200
    for _ in range(18):
        send(member_browser, world, amount="0.01")
    with count_statements() as many:
        assert member_browser.get(f"/accounts/{world.main}").status_code == 200
        assert member_browser.get("/dashboard").status_code == 200
    assert many.count == few.count


# --- transfer: refusals -------------------------------------------------------------------


def assert_refused(response, world: World, field: str, message: str, before: dict) -> None:
    """The form again, with the message next to `field` only, and no money moved."""
    assert response.status_code == 200
    page = soup(response)
    assert all_field_errors(page) == {field: [message]}
    assert page.find(attrs={"name": field}).get("aria-invalid") == "true"
    assert world.balances() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("12.505", "The amount has more than 2 decimal places."),
        ("abc", NOT_AN_AMOUNT),
        ("0", "Enter an amount between 0.01 USD and 10000000000.00 USD."),
        ("-5", NOT_AN_AMOUNT),
        ("NaN", NOT_AN_AMOUNT),
        # A decimal comma or a thousands separator is never guessed at: "1,50" once sent 150.00.
        ("1,50", NOT_AN_AMOUNT),
        ("1,000", NOT_AN_AMOUNT),
        ("1 000", NOT_AN_AMOUNT),
        ("+5", NOT_AN_AMOUNT),
        ("1e3", NOT_AN_AMOUNT),
        ("\uff11\uff12", NOT_AN_AMOUNT),  # fullwidth digits
        ("\u0661\u0662", NOT_AN_AMOUNT),  # Arabic-Indic digits
        ("1.5.0", NOT_AN_AMOUNT),
        ("Infinity", NOT_AN_AMOUNT),
        ("9" * 20, "The amount is too large."),
        ("", "This field is required."),
        ("100.01", "The account does not hold enough money."),
    ],
)
def test_a_bad_amount_is_refused_next_to_the_amount_field(member_browser, world, amount, message):
    before = world.balances()
    response = send(member_browser, world, amount=amount)
    assert_refused(response, world, "amount", message, before)
    assert soup(response).find("input", attrs={"name": "amount"})["value"] == amount


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("nobody@example.com", "No account has this number and no member has this email."),
        ("not an account", "No account has this number and no member has this email."),
        ("999999", "No member has an account with this number."),
        ("", "This field is required."),
    ],
)
def test_an_unknown_recipient_is_refused_next_to_the_to_field(member_browser, world, to, message):
    before = world.balances()
    assert_refused(send(member_browser, world, to=to), world, "to", message, before)


def test_an_amount_out_of_range_is_worded_in_the_accounts_currency(member_browser, world):
    yen = world.open_account(world.member, "Yen", "JPY")
    world.deposit(yen, 5000)
    other_yen = world.open_account(world.other, "Yen", "JPY")
    before = world.balances()
    response = send(member_browser, world, from_account=yen, to=other_yen, amount="0")
    message = "Enter an amount between 1 JPY and 1000000000000 JPY."
    assert_refused(response, world, "amount", message, before)


@pytest.mark.parametrize("to", ["0", "0" + "1" * 3, "1" * 19])
def test_a_recipient_that_cannot_be_an_account_id_is_not_guessed_at(member_browser, world, to):
    before = world.balances()
    response = send(member_browser, world, to=to)
    assert_refused(
        response, world, "to", "No account has this number and no member has this email.", before
    )


@pytest.mark.parametrize("to", ["own id", EMAIL])
def test_sending_to_the_same_account_is_refused(member_browser, world, to):
    before = world.balances()
    response = send(member_browser, world, to=world.main if to == "own id" else to)
    message = "Choose another account than the one you send from."
    assert_refused(response, world, "to", message, before)


def test_sending_euros_to_a_dollar_account_is_refused(member_browser, world):
    savings = world.open_account(world.member, "Savings", "EUR")
    world.deposit(savings, 5000)
    before = world.balances()
    response = send(member_browser, world, from_account=savings, amount="10.00")
    assert_refused(response, world, "to", "Cannot send EUR to an account in USD.", before)


def test_sending_from_another_members_account_is_refused(member_browser, world):
    world.deposit(world.other_main, 5000)
    before = world.balances()
    response = send(member_browser, world, from_account=world.other_main, to=world.main)
    assert_refused(response, world, "from_account", "Not a valid choice.", before)


def test_a_memo_over_255_characters_is_refused(member_browser, world):
    before = world.balances()
    response = send(member_browser, world, memo="x" * 256)
    assert_refused(response, world, "memo", "Field cannot be longer than 255 characters.", before)


def test_a_refused_transfer_keeps_the_choices_and_what_was_typed(member_browser, world):
    page = soup(send(member_browser, world, amount="12.505", memo="Lunch"))
    assert page.find("input", attrs={"name": "to"})["value"] == world.other_main
    assert page.find("input", attrs={"name": "memo"})["value"] == "Lunch"
    selected = page.select_one("select[name=from_account] option[selected]")
    assert selected["value"] == world.main


def test_the_transfer_endpoint_refuses_other_methods(member_browser):
    assert member_browser.put("/transfer").status_code == 405


# --- CSRF ---------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(app):
    """The test app with CSRF protection on, as in every other configuration."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def csrf_browser(csrf_app, world) -> FlaskClient:
    client = csrf_app.test_client()
    token = soup(client.get("/login")).find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def test_a_transfer_without_the_csrf_token_moves_nothing(csrf_browser, world):
    response = send(csrf_browser, world)
    assert response.status_code == 400
    assert soup(response).select_one(".error-status").string == "400"
    assert world.balances() == {world.main: 10000, world.other_main: 0}


def test_a_transfer_with_a_forged_csrf_token_moves_nothing(csrf_browser, world):
    response = send(csrf_browser, world, csrf_token="forged")
    assert response.status_code == 400
    assert world.balances() == {world.main: 10000, world.other_main: 0}


def test_a_transfer_with_the_token_from_the_form_works(csrf_browser, world):
    form = soup(csrf_browser.get("/transfer")).find("form", action="/transfer")
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    response = send(csrf_browser, world, csrf_token=token)
    assert response.status_code == 302
    assert world.balances() == {world.main: 8750, world.other_main: 1250}
