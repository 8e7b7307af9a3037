"""Every number a page reads (a path id, a query parameter such as ?page= or ?user=, a sort
key inside a cursor, a number or an id in a form) refuses one that no BIGINT holds, or that
no row has, with the page's usual answer: a 404 for a path, a field error or an empty page
for a query, a 400 for a cursor, the form again (or its redirect) for a form. Never a 5xx,
on SQLite and on PostgreSQL, as an admin and as a member.

The routes come from the app's URL map, the query parameters from the pages' GET forms
(their classes and their HTML), the links the pages show and the contract's list
parameters, the forms from the pages themselves: a page, a filter or a form added later
is walked too (tests/support/number_walk.py)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from wtforms import DecimalField, FloatField, IntegerField

from tests.support.number_walk import (
    ADMIN_EMAIL,
    BEYOND_BIGINT,
    LARGEST_SENDABLE,
    MEMBER_EMAIL,
    NUMBERS,
    World,
    build_world,
    cursors_holding,
    id_arguments,
    path_of,
    paths_naming_out_of_range_ids,
    rules_with_ids,
)
from tests.support.pages import browser, soup
from webapp.web import forms

# The list parameters of the contract (PRODUCT.md): any list page may read them.
LIST_PARAMETERS = {"page", "pageSize", "limit", "cursor"}
NUMBER_FIELDS = (IntegerField, DecimalField, FloatField)
# What a page answers a query it cannot use: itself (with a field error, or an empty page),
# a 400 for a cursor, a 403 for a member on an admin page, a redirect for a logged-in
# visitor on /login; an id that names nothing is a 404.
PAGE_ANSWERS = {200, 302, 400, 403, 404}
# What a form answers a number it cannot use: itself with a field error, a redirect with a
# flash, a 400 for a hidden field a page never writes so, a 404 for an id that names nothing.
FORM_ANSWERS = {200, 302, 400, 403, 404}


@pytest.fixture
def world(app: Flask, client: FlaskClient, make_admin) -> World:
    return build_world(app, client, make_admin)


@pytest.fixture
def browsers(app: Flask, world: World) -> dict[str, FlaskClient]:
    """A logged-in browser per role, each with a line in its cart (so /cart has its form)."""
    logged_in = {"admin": browser(app, ADMIN_EMAIL), "member": browser(app, MEMBER_EMAIL)}
    for who in logged_in.values():
        who.post("/cart/add", data={"product_id": world.id_for("product_id"), "quantity": "1"})
    return logged_in


def assert_answered(response, answers: set[int], sent: object) -> None:
    assert response.status_code < 500, (sent, response.get_data(as_text=True)[:500])
    assert response.status_code in answers, (sent, response.status_code)
    response.close()  # as a server does: a streamed download (a statement) ends here


def test_a_path_id_out_of_range_matches_no_route_and_the_largest_names_nothing(
    app, world, browsers
):
    walked = 0
    for rule, method in rules_with_ids(app, "web."):
        for path, number in paths_naming_out_of_range_ids(app, rule, world):
            for who, page_browser in browsers.items():
                response = page_browser.open(path, method=method)
                if number == LARGEST_SENDABLE:  # the route's own answer: nothing has that id
                    assert_answered(response, {302, 403, 404}, (who, method, path))
                else:
                    assert response.status_code == 404, (who, method, path)
                    assert soup(response).select_one(".error-status").string == "404"
                walked += 1
    assert walked > 100


# --- what the pages show ------------------------------------------------------------------


def shown_pages(app: Flask, world: World) -> list[str]:
    """Every GET page a browser can open: ids in paths set to real ones."""
    return [
        path_of(rule, {name: world.id_for(name) for name in rule.arguments})
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("web.")
        and "GET" in (rule.methods or ())
        and set(rule.arguments) <= set(id_arguments(app, rule))
    ]


def read_pages(
    paths: list[str], browsers: dict[str, FlaskClient]
) -> list[tuple[str, BeautifulSoup]]:
    """(who, the page) for each page each role may see."""
    seen = []
    for path in paths:
        for who, page_browser in browsers.items():
            response = page_browser.get(path)
            if response.status_code == 200:
                seen.append((who, soup(response)))
    return seen


def fields_of(form: Tag) -> list[Tag]:
    return form.find_all(["input", "select", "textarea"], attrs={"name": True})


def holds_a_number(field: Tag) -> bool:
    """A field that takes a number or an id: typed or keyed as one, or holding one."""
    if field.name == "select":
        values = [option.get("value", "") for option in field.find_all("option")]
        return any(value.isdigit() for value in values)
    return (
        field.get("type") == "number"
        or field.get("inputmode") == "numeric"
        or str(field.get("value", "")).isdigit()
    )


def query_names(pages: list[tuple[str, BeautifulSoup]]) -> set[str]:
    """The query parameters that may carry a number: of the GET form classes, of the GET
    forms and links the pages show, and the contract's list parameters."""
    names = set(LIST_PARAMETERS)
    for form_class in every_subclass(FlaskForm):
        if form_class.__module__ == forms.__name__ and not form_class.Meta.csrf:
            names |= {
                name
                for name, field in vars(form_class).items()
                if issubclass(getattr(field, "field_class", type), NUMBER_FIELDS)
            }
    for _, page in pages:
        for form in page.find_all("form"):
            if form.get("method", "get").lower() == "get":
                names |= {field["name"] for field in fields_of(form) if holds_a_number(field)}
        for link in page.find_all("a", href=True):
            query = parse_qsl(urlsplit(link["href"]).query)
            names |= {name for name, value in query if value.isdigit()}
    return names


def every_subclass(cls: type) -> list[type]:
    found = []
    for subclass in cls.__subclasses__():
        found += [subclass, *every_subclass(subclass)]
    return found


def test_every_numeric_query_parameter_of_every_page_refuses_a_number_out_of_range(
    app, world, browsers
):
    paths = shown_pages(app, world)
    names = query_names(read_pages(paths, browsers))
    assert {"page", "user", "from"} <= names  # /admin/users, /admin/events, /transfer
    walked = 0
    for path in paths:
        for who, page_browser in browsers.items():
            for name in names:
                for number in [*NUMBERS, LARGEST_SENDABLE]:
                    response = page_browser.get(path, query_string={name: str(number)})
                    assert_answered(response, PAGE_ANSWERS, (who, path, name, number))
                    walked += 1
            for cursor in cursors_holding(BEYOND_BIGINT):
                response = page_browser.get(path, query_string={"cursor": cursor})
                assert_answered(response, PAGE_ANSWERS, (who, path, cursor))
    assert walked > 1000


def test_admin_users_past_the_last_page_is_an_empty_page_and_beyond_a_field_error(
    app, world, browsers
):
    # The case the attack found: a page number whose offset no BIGINT holds.
    admin = browsers["admin"]
    past_the_end = admin.get("/admin/users", query_string={"page": str(LARGEST_SENDABLE)})
    assert past_the_end.status_code == 200
    assert not soup(past_the_end).select("table tbody tr")
    for number in (LARGEST_SENDABLE + 1, 2**63 - 1, 10**30):
        beyond = admin.get("/admin/users", query_string={"page": str(number)})
        assert beyond.status_code == 200
        assert soup(beyond).select("#page-errors li"), number


def test_every_number_in_a_form_of_every_page_refuses_a_number_out_of_range(app, world, browsers):
    paths = shown_pages(app, world)
    walked = 0
    for who, page in read_pages(paths, browsers):
        for form in page.find_all("form"):
            if form.get("method", "get").lower() != "post":
                continue
            defaults = {
                field["name"]: default_value(field)
                for field in fields_of(form)
                if field.get("type") not in ("checkbox", "submit")
            }
            for field in fields_of(form):
                if not holds_a_number(field):
                    continue
                for number in [*NUMBERS, LARGEST_SENDABLE]:
                    data = {**defaults, field["name"]: str(number)}
                    response = browsers[who].post(form["action"], data=data)
                    assert_answered(response, FORM_ANSWERS, (who, form["action"], data))
                    walked += 1
    assert walked > 100


def default_value(field: Tag) -> str:
    """What a browser would send for this field untouched."""
    if field.name == "select":
        option = field.find("option", selected=True) or field.find("option")
        return option.get("value", "") if option else ""
    if field.name == "textarea":
        return field.get_text()
    return str(field.get("value", ""))
