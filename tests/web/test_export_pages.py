"""The "Your data" section of /settings: "Download my data" downloads the member's export,
the same JSON document the API's /users/me/export answers."""

from __future__ import annotations

import json

from tests.support.clients import bearer
from tests.support.pages import browser, soup

EMAIL = "member@example.com"


def your_data(page):
    section = page.find("section", id="your-data")
    assert section is not None and section.h2.get_text(strip=True) == "Your data"
    return section


def test_settings_has_your_data_just_before_the_active_sessions(app, register):
    register(EMAIL)
    page = soup(browser(app, EMAIL).get("/settings"))
    section = your_data(page)
    link = section.find("a", string="Download my data")
    assert link["href"] == "/settings/export"
    following = section.find_next_sibling("section")
    assert following.h2.get_text(strip=True) == "Active sessions"


def test_download_my_data_is_the_apis_export(app, client, register, login, admin):
    register(EMAIL)
    headers = bearer(login(EMAIL))
    main = client.get("/api/v1/accounts", headers=headers).get_json()["data"][0]["id"]
    deposit = {"amount": 5_00, "memo": "Pocket money"}
    deposited = client.post(f"/api/v1/accounts/{main}/deposits", json=deposit, headers=admin)
    assert deposited.status_code == 201
    member = browser(app, EMAIL)
    response = member.get("/settings/export")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    user_id = client.get("/api/v1/users/me", headers=headers).get_json()["data"]["id"]
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="tally-export-{user_id}.json"'
    )
    page_document = json.loads(response.get_data(as_text=True))
    api_document = json.loads(client.get("/api/v1/users/me/export", headers=headers).get_data())
    assert page_document == api_document
    assert [line["memo"] for line in page_document["transactions"]] == ["Pocket money"]
    assert {s["kind"] for s in page_document["sessions"]} == {"api", "browser"}


def test_the_download_needs_a_login(client):
    response = client.get("/settings/export")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
