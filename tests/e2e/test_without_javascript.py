"""Every page works without JavaScript: the whole member flow of test_member_flow.py again,
in a browser with JavaScript turned off (plain links and form posts only).

Screenshots: nojs-dashboard, nojs-transfer, nojs-shop, nojs-cart, nojs-order and
nojs-settings, each at 1280 and 390.
"""

from __future__ import annotations

from e2e_harness import NewPage, Server
from playwright.sync_api import expect
from test_member_flow import member_flow


def test_the_browsers_used_here_run_no_script(new_page: NewPage) -> None:
    page = new_page(javascript=False)
    page.set_content(
        '<p id="ran">no</p><script>document.getElementById("ran").textContent = "yes"</script>'
    )
    expect(page.locator("#ran")).to_have_text("no")


def test_the_member_flow_works_with_javascript_off(new_page: NewPage, server: Server) -> None:
    member_flow(new_page, server, prefix="nojs-", javascript=False)
