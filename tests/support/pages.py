"""Reading pages in tests: parsed HTML, field and form errors, flashes, tables, browsers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests.support.clients import PASSWORD


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def field_errors(page: BeautifulSoup, field: str) -> list[str]:
    """The error messages shown under a field (tied to it by aria-describedby)."""
    return [item.get_text(strip=True) for item in page.select(f"#{field}-errors li")]


def all_field_errors(page: BeautifulSoup) -> dict[str, list[str]]:
    return {
        errors["id"].removesuffix("-errors"): [li.get_text(strip=True) for li in errors("li")]
        for errors in page.select("ul.errors")
    }


def form_errors(page: BeautifulSoup) -> list[str]:
    return [p.get_text(strip=True) for p in page.select(".form-errors p")]


def flashes(page: BeautifulSoup) -> list[str]:
    return [p.get_text(strip=True) for p in page.select(".flash")]


def table_rows(page: BeautifulSoup, selector: str) -> list[list[str]]:
    return [
        [cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])]
        for tr in page.select(f"{selector} tbody tr")
    ]


def browser(
    app: Flask, email: str = "member@example.com", password: str = PASSWORD, **request: Any
) -> FlaskClient:
    """A new browser, logged in (extra keyword arguments go to the login request)."""
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password}, **request)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@dataclass(frozen=True)
class ConfirmationPage:
    """A destructive action's confirmation page: what it says, and the form that acts."""

    heading: str
    text: str
    action: str
    csrf_token: str | None
    back: str


def confirm_url_of(page: BeautifulSoup, label: str) -> str:
    """The address a destructive button labelled `label` leads to: its confirmation page."""
    link = page.find("a", string=label, href=lambda href: href and "/confirm" in href)
    assert link is not None, f"no confirmation link {label!r}"
    return link["href"]


def confirmation_page(client: FlaskClient, url: str) -> ConfirmationPage:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    page = soup(response)
    form = page.select_one("form.confirmation-choices")
    token = form.find("input", attrs={"name": "csrf_token"})
    return ConfirmationPage(
        heading=page.h1.get_text(strip=True),
        text=page.select_one(".confirmation").get_text(" ", strip=True),
        action=form["action"],
        csrf_token=token["value"] if token else None,
        back=form.find("a")["href"],
    )
