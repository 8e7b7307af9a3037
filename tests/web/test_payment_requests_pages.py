"""The payment request pages: asking for money on /requests, the requests both ways, paying
through a confirmation step, declining and cancelling, and the dashboard's waiting list."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from tests.support.clients import bearer
from tests.support.pages import (
    all_field_errors,
    browser,
    confirm_url_of,
    confirmation_page,
    flashes,
    form_errors,
    soup,
    table_rows,
)
from tests.support.wallet_world import WalletWorld
from webapp.core.money import NOT_AN_AMOUNT

EMAIL = "member@example.com"
OTHER_EMAIL = "other@example.com"
THIRD_EMAIL = "third@example.com"
ADMIN_EMAIL = "admin@example.com"


@dataclass
class World(WalletWorld):
    """Member and Other (each with 100.00 USD in Main), a third member, an admin."""

    def request(self, amount: int = 12_50, memo: str | None = "Lunch", by: str = "member") -> str:
        """A pending request through the API: `by` the member of Other, or `by` Other of the
        member; its id."""
        asker, payer = (self.member, OTHER_EMAIL) if by == "member" else (self.other, EMAIL)
        response = self.api.post(
            "/api/v1/payment-requests",
            json={"payerEmail": payer, "amount": amount, "memo": memo},
            headers=bearer(asker),
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["data"]["id"]

    def cancel(self, request_id: str) -> None:
        response = self.api.post(
            f"/api/v1/payment-requests/{request_id}/cancel", headers=bearer(self.member)
        )
        assert response.status_code == 200, response.get_json()


@pytest.fixture
def world(app, client, register, login, make_admin) -> World:
    register(EMAIL, "Member")
    register(OTHER_EMAIL, "Other")
    register(THIRD_EMAIL, "Third")
    make_admin(ADMIN_EMAIL)
    member, other = login(EMAIL), login(OTHER_EMAIL)
    world = World(client, login(ADMIN_EMAIL), member, other, "", "")
    (world.main,) = world.accounts(member)
    (world.other_main,) = world.accounts(other)
    world.deposit(world.main, 100_00)
    world.deposit(world.other_main, 100_00)
    return world


@pytest.fixture
def member_browser(app, world) -> FlaskClient:
    return browser(app)


@pytest.fixture
def other_browser(app, world) -> FlaskClient:
    return browser(app, OTHER_EMAIL)


def ask(client: FlaskClient, world: World, **fields: str):
    data = {"payer_email": OTHER_EMAIL, "amount": "12.50", "memo": "Lunch"}
    data["account_id"] = world.main
    data.update(fields)
    return client.post("/requests", data=data)


def rows(client: FlaskClient, selector: str, url: str = "/requests") -> list[list[str]]:
    """The table's rows without the dates (they are today's)."""
    return [[row[0], *row[1:4], row[-1]] for row in table_rows(soup(client.get(url)), selector)]


# --- asking -------------------------------------------------------------------------------


def test_asking_for_money_says_so_and_lists_it_both_ways_with_names(
    member_browser, other_browser, world
):
    response = ask(member_browser, world)
    assert response.status_code == 302
    assert response.headers["Location"] == "/requests"
    page = soup(member_browser.get("/requests"))
    assert flashes(page) == ["You asked Other for 12.50 USD. They see it on their dashboard."]
    assert rows(member_browser, "table.outgoing") == [
        ["Other other@example.com", "12.50 USD", "Lunch", "Pending", "Cancel"]
    ]
    assert rows(member_browser, "table.incoming") == []
    assert rows(other_browser, "table.incoming") == [
        ["Member member@example.com", "12.50 USD", "Lunch", "Pending", "Pay Decline"]
    ]
    assert "User " not in soup(other_browser.get("/requests")).select_one("main").get_text()
    assert world.balances() == {world.main: 100_00, world.other_main: 100_00}


def test_the_ask_form_offers_my_accounts_main_first_each_field_labelled(member_browser, world):
    savings = world.open_account(world.member, "Savings", "EUR")
    page = soup(member_browser.get("/requests"))
    options = page.select("select[name=account_id] option")
    assert [o["value"] for o in options] == [world.main, savings]
    for name in ("payer_email", "amount", "memo", "account_id"):
        control = page.find(attrs={"name": name})
        assert page.find("label", attrs={"for": control["id"]}), name
    ask(member_browser, world, amount="3.5", account_id=savings)
    assert rows(member_browser, "table.outgoing")[0][1] == "3.50 EUR"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"payer_email": "nobody@example.com"}, {"payer_email": ["No member has this email."]}),
        ({"payer_email": EMAIL}, {"payer_email": ["Ask another member than yourself."]}),
        ({"amount": "1,50"}, {"amount": [NOT_AN_AMOUNT]}),
        ({"amount": ""}, {"amount": ["This field is required."]}),
        ({"amount": "1.505"}, {"amount": ["The amount has more than 2 decimal places."]}),
        ({"account_id": "other"}, {"account_id": ["Not a valid choice."]}),
    ],
)
def test_the_ask_form_shows_each_refusal_on_its_field(member_browser, world, fields, errors):
    if fields.get("account_id") == "other":
        fields = {"account_id": world.other_main}
    response = ask(member_browser, world, **fields)
    assert response.status_code == 200
    page = soup(response)
    assert all_field_errors(page) == errors
    assert page.select_one("table.outgoing") is None
    assert page.find("input", attrs={"name": "amount"})["value"] == fields.get("amount", "12.50")


def test_a_21st_pending_request_is_refused_in_a_sentence(member_browser, world):
    for _ in range(20):
        world.request(amount=1)
    page = soup(ask(member_browser, world))
    assert form_errors(page) == [
        "You already have 20 payment requests waiting. Cancel one, or wait until one is"
        " answered, before you ask again."
    ]


def test_requests_is_for_members_only(client, world):
    response = client.get("/requests")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- the lists ----------------------------------------------------------------------------


def test_each_direction_pages_with_its_own_older_link(member_browser, world):
    for _ in range(20):
        world.cancel(world.request(amount=1))
    newest = world.request(amount=2)
    world.request(amount=3, by="other")
    page = soup(member_browser.get("/requests"))
    assert len(table_rows(page, "table.outgoing")) == 20
    assert table_rows(page, "table.outgoing")[0][1] == "0.02 USD"
    older = page.select_one("#outgoing a[rel=next]")["href"]
    assert older.startswith("/requests?direction=outgoing&cursor=")
    assert page.select_one("#incoming a[rel=next]") is None
    page = soup(member_browser.get(older))
    assert [row[1:4] for row in table_rows(page, "table.outgoing")] == [
        ["0.01 USD", "Lunch", "Cancelled"]
    ]
    # The other direction stays on its first page; "Newest" goes back.
    assert [row[1] for row in table_rows(page, "table.incoming")] == ["0.03 USD"]
    assert page.select_one("#outgoing .pager a")["href"] == "/requests#outgoing"
    assert newest


# --- paying -------------------------------------------------------------------------------


def pay_page(client: FlaskClient, request_id: str):
    response = client.get(f"/requests/{request_id}/pay")
    assert response.status_code == 200, response.status_code
    return soup(response)


def test_paying_goes_through_a_confirmation_naming_the_requester_and_moves_money_once(
    other_browser, member_browser, world
):
    request_id = world.request()
    dashboard = soup(other_browser.get("/dashboard"))
    assert dashboard.select_one(".waiting a.button")["href"] == f"/requests/{request_id}/pay"
    page = pay_page(other_browser, request_id)
    assert page.h1.get_text(strip=True) == "Pay Member"
    assert "member@example.com" in page.select_one(".recipient").get_text()
    assert page.select_one(".amount").get_text(strip=True) == "12.50 USD"
    options = page.select("select[name=from_account] option")
    assert [(o["value"], o.get_text(strip=True)) for o in options] == [
        (world.other_main, "Main — 100.00 USD")
    ]
    button = page.select_one("form.pay-request button[type=submit]")
    assert button.get_text(strip=True) == "Pay 12.50 USD to Member"
    assert world.balances() == {world.main: 100_00, world.other_main: 100_00}

    data = {"from_account": world.other_main}
    response = other_browser.post(f"/requests/{request_id}/pay", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/accounts/{world.other_main}"
    account = soup(other_browser.get(response.headers["Location"]))
    assert flashes(account) == ["Paid 12.50 USD to Member."]
    assert "Member" in account.select_one("table.history .other-side").get_text()
    assert world.balances() == {world.main: 112_50, world.other_main: 87_50}

    # The same confirmation sent again pays nothing more, and says why.
    again = other_browser.post(f"/requests/{request_id}/pay", data=data, follow_redirects=True)
    assert flashes(soup(again)) == [
        "This payment request is paid already: only a pending request can be paid, declined"
        " or cancelled."
    ]
    assert world.balances() == {world.main: 112_50, world.other_main: 87_50}
    assert rows(other_browser, "table.incoming")[0][3:] == ["Paid", ""]
    assert rows(member_browser, "table.outgoing")[0][3:] == ["Paid", ""]
    history = soup(member_browser.get(f"/accounts/{world.main}"))
    assert "Other" in history.select_one("table.history .other-side").get_text()
    assert soup(other_browser.get("/dashboard")).select_one(".waiting-requests") is None


def test_paying_more_than_the_balance_is_shown_on_the_form(other_browser, world):
    request_id = world.request(amount=500_00)
    response = other_browser.post(
        f"/requests/{request_id}/pay", data={"from_account": world.other_main}
    )
    assert response.status_code == 200
    page = soup(response)
    assert all_field_errors(page) == {"from_account": ["The account does not hold enough money."]}
    assert page.h1.get_text(strip=True) == "Pay Member"
    assert world.balances() == {world.main: 100_00, world.other_main: 100_00}


def test_paying_from_an_account_in_another_currency_is_shown_on_the_form(other_browser, world):
    euros = world.open_account(world.other, "Euros", "EUR")
    world.deposit(euros, 50_00)
    request_id = world.request()
    response = other_browser.post(f"/requests/{request_id}/pay", data={"from_account": euros})
    assert all_field_errors(soup(response)) == {
        "from_account": ["Cannot send EUR to an account in USD."]
    }


def test_paying_from_an_account_not_mine_is_refused_on_the_form(other_browser, world):
    request_id = world.request()
    response = other_browser.post(f"/requests/{request_id}/pay", data={"from_account": world.main})
    assert all_field_errors(soup(response)) == {"from_account": ["Not a valid choice."]}
    assert world.balances() == {world.main: 100_00, world.other_main: 100_00}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/requests/{id}/pay"),
        ("post", "/requests/{id}/pay"),
        ("get", "/requests/{id}/decline/confirm"),
        ("post", "/requests/{id}/decline"),
        ("get", "/requests/{id}/cancel/confirm"),
        ("post", "/requests/{id}/cancel"),
        ("get", "/requests/999999/pay"),
    ],
)
def test_someone_elses_request_is_the_404_page(app, world, method, path):
    request_id = world.request()
    third = browser(app, THIRD_EMAIL)
    url = path.format(id=request_id)
    response = getattr(third, method)(url, data={"from_account": world.other_main})
    assert response.status_code == 404
    assert soup(response).h1
    assert world.balances() == {world.main: 100_00, world.other_main: 100_00}


def test_the_requester_cannot_pay_or_decline_and_the_payer_cannot_cancel(
    member_browser, other_browser, world
):
    request_id = world.request()
    assert member_browser.get(f"/requests/{request_id}/pay").status_code == 404
    assert member_browser.get(f"/requests/{request_id}/decline/confirm").status_code == 404
    assert other_browser.get(f"/requests/{request_id}/cancel/confirm").status_code == 404


# --- declining and cancelling -------------------------------------------------------------


def test_declining_asks_on_a_confirmation_page_first(other_browser, member_browser, world):
    request_id = world.request()
    url = confirm_url_of(soup(other_browser.get("/requests")), "Decline")
    assert url == f"/requests/{request_id}/decline/confirm"
    asked = confirmation_page(other_browser, url)
    assert asked.heading == "Decline Member's request for 12.50 USD?"
    assert "Member (member@example.com)" in asked.text
    assert (asked.action, asked.back) == (f"/requests/{request_id}/decline", "/requests")
    assert rows(other_browser, "table.incoming")[0][3] == "Pending"
    response = other_browser.post(asked.action, follow_redirects=True)
    assert flashes(soup(response)) == ["You declined Member's request for 12.50 USD."]
    assert rows(other_browser, "table.incoming")[0][3:] == ["Declined", ""]
    assert rows(member_browser, "table.outgoing")[0][3:] == ["Declined", ""]
    # Its confirmation, opened again, says it is answered.
    again = other_browser.get(url, follow_redirects=True)
    assert flashes(soup(again))[0].startswith("This payment request is declined already")
    assert world.balances() == {world.main: 100_00, world.other_main: 100_00}


def test_cancelling_asks_on_a_confirmation_page_first(member_browser, other_browser, world):
    request_id = world.request()
    url = confirm_url_of(soup(member_browser.get("/requests")), "Cancel")
    assert url == f"/requests/{request_id}/cancel/confirm"
    asked = confirmation_page(member_browser, url)
    assert asked.heading == "Cancel your request to Other for 12.50 USD?"
    assert "Other (other@example.com)" in asked.text
    response = member_browser.post(asked.action, follow_redirects=True)
    assert flashes(soup(response)) == ["You cancelled your request to Other for 12.50 USD."]
    assert rows(other_browser, "table.incoming")[0][3:] == ["Cancelled", ""]
    again = member_browser.post(asked.action, follow_redirects=True)
    assert flashes(soup(again))[0].startswith("This payment request is cancelled already")


# --- the dashboard ------------------------------------------------------------------------


def test_the_dashboard_lists_requests_waiting_with_pay_and_decline(
    other_browser, member_browser, world
):
    first = world.request(memo="Lunch")
    second = world.request(amount=3_00, memo=None)
    page = soup(other_browser.get("/dashboard"))
    section = page.select_one(".waiting-requests")
    assert section.h2.get_text(strip=True) == "Payment requests waiting"
    assert [[row[0], row[1], row[2], row[-1]] for row in table_rows(page, "table.waiting")] == [
        ["Member member@example.com", "3.00 USD", "—", "Pay Decline"],
        ["Member member@example.com", "12.50 USD", "Lunch", "Pay Decline"],
    ]
    links = [a["href"] for a in section.select("table a")]
    assert links == [
        f"/requests/{second}/pay",
        f"/requests/{second}/decline/confirm",
        f"/requests/{first}/pay",
        f"/requests/{first}/decline/confirm",
    ]
    assert section.find("a", href="/requests")
    # What the member asked for is not waiting on their own dashboard.
    assert soup(member_browser.get("/dashboard")).select_one(".waiting-requests") is None


def test_the_dashboard_shows_the_five_newest_requests_waiting(other_browser, world):
    for cents in range(1, 8):
        world.request(amount=cents)
    page = soup(other_browser.get("/dashboard"))
    amounts = [row[1] for row in table_rows(page, "table.waiting")]
    assert amounts == ["0.07 USD", "0.06 USD", "0.05 USD", "0.04 USD", "0.03 USD"]


def test_an_empty_wallet_points_a_new_member_to_asking_for_money(app, register):
    register("newcomer@example.com", "Newcomer")
    page = soup(browser(app, "newcomer@example.com").get("/dashboard"))
    empty = page.select_one(".wallet-empty")
    link = empty.find("a", href="/requests")
    assert link.get_text(strip=True) == "ask another member for money"
    assert page.select_one(".nav").find("a", href="/requests").get_text() == "Requests"


# --- statements ---------------------------------------------------------------------------


def test_the_dashboard_and_requests_run_as_many_statements_for_10_requests_as_for_1(
    other_browser, world, count_statements
):
    world.request(amount=1)
    world.request(amount=1, by="other")
    with count_statements() as few:
        assert other_browser.get("/dashboard").status_code == 200
        assert other_browser.get("/requests").status_code == 200
    for _ in range(9):
        world.request(amount=1)
        world.request(amount=1, by="other")
    with count_statements() as many:
        assert other_browser.get("/dashboard").status_code == 200
        assert other_browser.get("/requests").status_code == 200
    assert many.count == few.count


@pytest.mark.parametrize("cursor", ["abc", "1e999999", "", "eyJ4IjoxfQ", "9" * 40])
@pytest.mark.parametrize("direction", ["incoming", "outgoing", "sideways", ""])
def test_an_odd_cursor_or_direction_is_never_a_5xx(member_browser, world, cursor, direction):
    world.request()
    query = {"direction": direction, "cursor": cursor}
    response = member_browser.get("/requests", query_string=query)
    assert response.status_code < 500
