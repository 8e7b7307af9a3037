"""The API docs page at /api/docs: Swagger UI served from this app alone, under the site's CSP."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest

from tests.support.envelopes import assert_error
from tests.support.pages import browser, soup

DOCS = "/api/docs"
OPENAPI_URL = "/api/v1/openapi.json"
CONTENT_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[^\s"'<>]*""", re.IGNORECASE)


def is_local_path(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def page_asset_urls(client) -> list[str]:
    page = soup(client.get(DOCS))
    return [link["href"] for link in page.select("link[href]")] + [
        script["src"] for script in page.select("script[src]")
    ]


def test_docs_page_is_html_for_anyone(client, app, register):
    anonymous = client.get(DOCS)
    assert anonymous.status_code == 200
    assert anonymous.mimetype == "text/html"
    root = soup(anonymous).select_one("#swagger-ui")
    assert root is not None and root["data-openapi-url"] == OPENAPI_URL

    register()
    member = browser(app).get(DOCS)
    assert member.status_code == 200
    assert member.mimetype == "text/html"


def test_page_loads_swagger_ui_and_its_starter_from_local_paths(client):
    urls = page_asset_urls(client)
    paths = [url.split("?")[0] for url in urls]
    assert "/api/docs/assets/swagger-ui.css" in paths
    assert "/api/docs/assets/swagger-ui-bundle.js" in paths
    assert "/static/js/api-docs.js" in paths
    assert all(is_local_path(url) for url in urls), urls


def test_every_asset_the_page_loads_is_served_with_its_content_type(client):
    for url in page_asset_urls(client):
        response = client.get(url)
        assert response.status_code == 200, url
        suffix = "." + url.split("?")[0].rsplit(".", 1)[-1]
        assert response.mimetype == CONTENT_TYPES[suffix], url
        assert response.get_data(), url


def test_swagger_ui_bundle_is_the_one_that_renders_openapi_3_1(client):
    # Swagger UI renders OpenAPI 3.1 from 5.0 on; 4.x refuses such a document outright.
    assert int(version("flask-swagger-ui").split(".")[0]) >= 5
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js").get_data(as_text=True)
    assert "SwaggerUIBundle" in bundle


def test_document_url_is_local_and_answers_the_openapi_document(client):
    url = soup(client.get(DOCS)).select_one("#swagger-ui")["data-openapi-url"]
    assert is_local_path(url)
    assert url == "/api/v1/openapi.json"
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()["openapi"].startswith("3.1")


def test_docs_page_names_no_other_host(client):
    page = client.get(DOCS).get_data(as_text=True)
    assert ABSOLUTE_URL.findall(page) == []
    starter = client.get("/static/js/api-docs.js").get_data(as_text=True)
    assert re.findall(r"https?://", starter) == []


def test_docs_page_runs_under_the_site_policy_without_inline_code(client):
    response = client.get(DOCS)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    page = soup(response)
    scripts = page.find_all("script")
    assert len(scripts) == 2
    assert all(script.get("src") and not script.string for script in scripts)
    assert page.find("style") is None
    assert page.select("[style]") == []


@pytest.mark.parametrize(
    "name",
    ["swagger-ui.js", "oauth2-redirect.html", "index.css", "../flask_swagger_ui.py", "nope.css"],
)
def test_asset_outside_the_pages_needs_is_404(client, name):
    assert_error(client.get(f"/api/docs/assets/{name}"), 404, "NOT_FOUND")


def test_site_footer_links_to_the_api_docs(client):
    footer = soup(client.get("/")).select_one("footer.site-footer")
    link = footer.find("a", string="API docs")
    assert link is not None and link["href"] == DOCS
    assert client.get(link["href"]).status_code == 200
