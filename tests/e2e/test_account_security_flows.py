"""Account security as a member does it in a browser: reset a forgotten password from the
link in the mail, turn on a second factor and log in with a code from an authenticator, and
make a personal access token that a script then uses against the API.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import time
import urllib.request
from pathlib import Path

import pyotp
from e2e_harness import NewPage, Server, login, shot
from playwright.sync_api import Page, expect
from test_member_flow import PASSWORD, flash, fresh_email, register, shots, submit

NEW_PASSWORD = "another long e2e password"
RESET_LINK = re.compile(r"https?://[^\s\"'<>]+/reset-password/[A-Za-z0-9._~-]+")


def mails_to(mail_dir: Path, address: str) -> list[email.message.EmailMessage]:
    """Every mail written for `address`, oldest first."""
    found = []
    for path in sorted(mail_dir.glob("*.eml"), key=lambda p: (p.stat().st_mtime, p.name)):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["To"]):
            found.append(message)
    return found


def text_of(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    assert part is not None, "a mail without a body"
    return part.get_content()


def newest_reset_link(server: Server, address: str) -> str:
    mail_dir = server.mail_dir
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        links = [
            link for m in mails_to(mail_dir, address) for link in RESET_LINK.findall(text_of(m))
        ]
        if links:
            return links[-1]
        time.sleep(0.2)
    errors = [line for line in server.log().splitlines() if '"ERROR"' in line]
    raise AssertionError(
        f"no password-reset mail for {address} in {mail_dir}; the server's last error: "
        + (errors[-1][-400:] if errors else "none")
    )


def log_out(page: Page) -> None:
    submit(page, "Log out")
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()


def turn_on_second_factor(page: Page) -> pyotp.TOTP:
    """Turn the logged-in member's second factor on from /settings/security; their app."""
    page.goto("/settings/security")
    submit(page, "Turn on")
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().strip())
    page.get_by_label("Code").fill(totp.now())
    submit(page, "Confirm and turn on")
    return totp


def test_a_forgotten_password_is_reset_from_the_link_in_the_mail(
    new_page: NewPage, server: Server
) -> None:
    address = fresh_email("forgetful")
    register(new_page(), "Frida Forgetful", address)

    page = new_page()
    page.goto("/login")
    with page.expect_navigation():
        page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(address)
    submit(page, "Mail me a link")
    shot(page, "forgot-password-sent")

    link = newest_reset_link(server, address)
    assert link.startswith(server.url + "/reset-password/"), link
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    shot(page, "reset-password")
    submit(page, "Set my new password")
    expect(page).to_have_url(re.compile(r"/login$"))

    # The old password is refused, the new one lets the member in.
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    submit(page, "Log in")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    login(page, address, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    # The link worked once.
    page.goto(link)
    expect(page.locator("#link-dead")).to_be_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]
    assert page.outside_requests == []  # type: ignore[attr-defined]


def test_a_second_factor_is_turned_on_and_then_asked_for_at_login(
    new_page: NewPage, server: Server
) -> None:
    address = fresh_email("careful")
    page = new_page()
    register(page, "Cora Careful", address)

    page.goto("/settings")
    with page.expect_navigation():
        page.get_by_role("link", name="Second factor and recovery codes").click()
    submit(page, "Turn on")
    secret = page.locator("#totp-secret").inner_text().strip()
    totp = pyotp.TOTP(secret)
    step = totp.timecode(time.time())
    page.get_by_label("Code").fill(totp.generate_otp(step))
    shot(page, "second-factor-confirm")
    submit(page, "Confirm and turn on")
    expect(page.locator(".flash")).to_contain_text("The second factor is on")
    expect(page.locator("#second-factor")).to_contain_text("The second factor is on")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    expect(page).to_have_url(re.compile(r"/settings/security$"))  # a GET: a reload posts nothing
    expect(page.get_by_label("Code", exact=True).first).to_have_value("")
    shots(page, "second-factor-on")
    codes = [c.strip() for c in page.locator(".recovery-codes code").all_inner_texts()]

    # "Download" saves them as a text file; "Copy" puts them on the clipboard.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == "tally-recovery-codes.txt"
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert [line for line in saved.splitlines() if line in codes] == codes
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.locator(".copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()").split() == codes

    # Shown once: a reload shows the page without them.
    page.reload()
    expect(page.locator(".recovery-codes li")).to_have_count(0)
    expect(page.locator("#recovery-codes-left")).to_have_text("10")

    # The password alone is not enough now: /login/verify asks for a code.
    log_out(page)
    page.goto("/login")
    page.get_by_label("Email").fill(address)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    submit(page, "Log in")
    expect(page).to_have_url(re.compile(r"/login/verify"))
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login"))  # half logged in is not logged in

    page.goto("/login/verify")
    if "/login/verify" not in page.url:  # the started login did not survive that detour
        page.get_by_label("Email").fill(address)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        submit(page, "Log in")
    page.get_by_label("Code").fill("000000" if totp.now() != "000000" else "111111")
    submit(page, "Log in")
    expect(page).to_have_url(re.compile(r"/login/verify"))
    expect(page.locator(".field-invalid, .form-errors").first).to_be_visible()
    shot(page, "login-verify-wrong-code")

    # A code of a later step than the one used to confirm (a used code never works twice).
    page.get_by_label("Code").fill(totp.generate_otp(step + 1))
    submit(page, "Log in")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]
    assert page.outside_requests == []  # type: ignore[attr-defined]


def test_without_javascript_the_codes_download_and_no_copy_button_shows(
    new_page: NewPage, server: Server
) -> None:
    address = fresh_email("scriptless")
    page = new_page(javascript=False)
    register(page, "Noa Noscript", address)
    turn_on_second_factor(page)
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    expect(page.get_by_role("link", name="Download")).to_be_visible()
    expect(page.locator("button[data-copy-from]")).to_be_hidden()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    codes = [c.strip() for c in page.locator(".recovery-codes code").all_inner_texts()]
    assert codes[0] in Path(download.value.path()).read_text(encoding="utf-8")
    assert page.outside_requests == []  # type: ignore[attr-defined]


def test_a_personal_access_token_is_shown_once_and_works_against_the_api(
    new_page: NewPage, server: Server
) -> None:
    address = fresh_email("scripter")
    page = new_page()
    register(page, "Sam Scripter", address)

    page.goto("/settings")
    with page.expect_navigation():
        page.get_by_role("link", name="Personal access tokens").click()
    expect(page.get_by_text("You have no personal access tokens.")).to_be_visible()
    page.get_by_label("Name").fill("nightly export")
    expect(page.get_by_label("read", exact=True)).to_be_checked()
    submit(page, "Make token")
    expect(page.locator("#new-token")).to_contain_text("shown only this once")
    token = page.locator("#token-value").inner_text().strip()
    assert token
    expect(page.locator("#tokens")).to_contain_text("nightly export")
    expect(page).to_have_url(re.compile(r"/settings/tokens$"))  # a GET: a reload posts nothing
    expect(page.get_by_label("Name")).to_have_value("")
    shots(page, "token-made")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.locator(".copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == token

    request = urllib.request.Request(
        f"{server.url}/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        body = json.loads(response.read())
    assert address in json.dumps(body)

    # Shown once: the next visit lists the token but never its value.
    page.goto("/settings/tokens")
    expect(page.locator("#tokens")).to_contain_text("nightly export")
    assert token not in page.content()
    assert "nightly export" not in flash(page)
    assert page.console_errors == []  # type: ignore[attr-defined]
    assert page.outside_requests == []  # type: ignore[attr-defined]
