"""Pages in the site layout, and the error pages."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from tests.support.clients import PASSWORD, chunked
from tests.support.pages import browser, soup

FORM = "application/x-www-form-urlencoded"


def test_the_landing_page_is_in_the_layout(client):
    response = client.get("/")
    assert response.status_code == 200
    page = soup(response)
    assert page.title.string.strip().endswith("Tally")
    assert page.select_one("header nav a.brand").string == "Tally"
    assert page.find("h1")


def test_the_landing_page_invites_a_visitor_to_register_or_log_in(client):
    content = soup(client.get("/")).select_one("main")
    links = {a["href"]: a.get_text(strip=True) for a in content.select("a.button")}
    assert links == {"/register": "Create an account", "/login": "Log in"}


def test_the_landing_page_offers_a_logged_in_member_their_dashboard(app, register, make_admin):
    register("member@example.com", "Member")
    content = soup(browser(app).get("/")).select_one("main")
    assert [a["href"] for a in content.select("a.button")] == ["/dashboard"]
    assert not content.select("a[href='/register'], a[href='/login']")
    make_admin(email="boss@example.com")
    admin = soup(browser(app, "boss@example.com").get("/")).select_one("main")
    assert [a["href"] for a in admin.select("a.button")] == ["/admin"]


def test_no_footer_link_opens_raw_json(client):
    footer = soup(client.get("/")).select_one("footer")
    targets = [a["href"] for a in footer.select("a[href]")]
    assert targets
    for target in targets:
        response = client.get(target)
        assert response.status_code == 200, target
        assert response.mimetype == "text/html", target


def test_pages_load_no_asset_from_elsewhere(client):
    page = soup(client.get("/"))
    for tag, attribute in (("link", "href"), ("script", "src"), ("img", "src")):
        for element in page.find_all(tag):
            value = element.get(attribute)
            if value:
                assert value.startswith("/"), value
    assert client.get("/static/css/tally.css").status_code == 200


def test_an_unknown_page_is_the_404_page_in_the_layout(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = soup(response)
    assert page.select_one("header nav a.brand")
    assert page.select_one(".error-status").string == "404"


def test_a_wrong_method_on_a_page_is_a_page_not_json(client):
    response = client.post("/")
    assert response.status_code == 405
    assert response.mimetype == "text/html"


def test_the_403_and_429_pages_are_in_the_layout(make_app):
    from webapp.core.errors import Forbidden
    from webapp.infra.extensions import limiter

    app = make_app()

    def forbidden():
        raise Forbidden()

    @limiter.limit("1/minute")
    def limited():
        return "ok"

    app.add_url_rule("/_test/forbidden-page", "forbidden_page", forbidden)
    app.add_url_rule("/_test/limited-page", "limited_page", limited)
    client = app.test_client()

    page = client.get("/_test/forbidden-page")
    assert page.status_code == 403
    assert soup(page).select_one("header nav a.brand")
    assert soup(page).select_one(".error-status").string == "403"

    assert client.get("/_test/limited-page").status_code == 200
    page = client.get("/_test/limited-page")
    assert page.status_code == 429
    assert page.mimetype == "text/html"
    assert soup(page).select_one(".error-status").string == "429"
    assert page.headers["Retry-After"]


@pytest.mark.parametrize("sent", ["with its length", "chunked"])
def test_a_form_over_64_kib_is_the_413_page(client, sent):
    body = urlencode({"email": "a@example.com", "password": "x" * 64 * 1024}).encode()
    arguments = chunked(body, FORM) if sent == "chunked" else {"data": body, "content_type": FORM}
    response = client.post("/login", **arguments)
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert soup(response).select_one(".error-status").string == "413"


def test_a_chunked_form_under_the_limit_is_read_whole(client, register):
    register("member@example.com")
    # The fields that log in come after 60 KB: a body cut short would lose them.
    fields = {"padding": "x" * 60_000, "email": "member@example.com", "password": PASSWORD}
    response = client.post("/login", **chunked(urlencode(fields).encode(), FORM))
    assert response.status_code == 302


def test_static_files_are_linked_under_a_version_of_their_content(client):
    page = client.get("/login").get_data(as_text=True)
    [stylesheet] = re.findall(r'href="(/static/css/tally\.css[^"]*)"', page)
    assert re.fullmatch(r"/static/css/tally\.css\?v=[0-9a-f]{12}", stylesheet)
    assert client.get(stylesheet).status_code == 200
