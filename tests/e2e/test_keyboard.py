"""The login and transfer forms with the keyboard alone, at desktop and phone sizes:

- the first Tab reaches the "Skip to content" link, which is then on screen;
- following it, Tab moves through the form's fields in the order they are shown (top to
  bottom) and ends on the submit button;
- every element that takes focus shows it (an outline a person can see).
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_harness import NewPage, login, shot
from playwright.sync_api import Page

MEMBER_EMAIL = "alice@example.com"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}

FOCUSED = """() => {
    const e = document.activeElement;
    const box = e.getBoundingClientRect();
    const style = getComputedStyle(e);
    return {
        tag: e.tagName.toLowerCase(),
        name: e.getAttribute('name') || '',
        type: e.getAttribute('type') || '',
        text: (e.innerText || '').trim(),
        top: box.top + window.scrollY,
        left: box.left,
        onScreen: box.right > 0 && box.left < window.innerWidth && box.bottom > 0
            && box.top < window.innerHeight,
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
}"""


def tab(page: Page) -> dict[str, Any]:
    page.keyboard.press("Tab")
    return page.evaluate(FOCUSED)


def label(focused: dict[str, Any]) -> str:
    if focused["tag"] in {"input", "select", "textarea"}:
        return f"{focused['tag']}[name={focused['name']}]"
    return f"{focused['tag']} {focused['text']!r}"


def walk_from_skip_link(page: Page, steps: int) -> list[dict[str, Any]]:
    """Tab once (the skip link), follow it with Enter, then Tab `steps` times."""
    first = tab(page)
    assert first["tag"] == "a" and first["text"] == "Skip to content", (
        f"the first Tab reaches {label(first)}, not the skip link"
    )
    assert first["onScreen"], "the focused skip link is not on screen"
    assert first["outline"], "the focused skip link shows no focus outline"
    page.keyboard.press("Enter")
    # Following a fragment link is a navigation the browser finishes on its own time.
    page.wait_for_url("**#main")
    return [tab(page) for _ in range(steps)]


def assert_visual_order(walk: list[dict[str, Any]], expected: list[str]) -> None:
    assert [label(focused) for focused in walk] == expected
    tops = [focused["top"] for focused in walk]
    placed = list(zip(expected, tops, strict=True))
    assert tops == sorted(tops), f"Tab order is not top to bottom: {placed}"
    unmarked = [label(focused) for focused in walk if not focused["outline"]]
    assert unmarked == [], f"focus is not visible on {unmarked}"


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_login_form_in_keyboard_order(new_page: NewPage, size: str) -> None:
    width, height = SIZES[size]
    page = new_page(width=width, height=height)
    page.goto("/login")
    walk = walk_from_skip_link(page, steps=3)
    shot(page, f"keyboard-login-{width}")
    assert_visual_order(walk, ["input[name=email]", "input[name=password]", "button 'Log in'"])


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_transfer_form_in_keyboard_order(new_page: NewPage, size: str) -> None:
    width, height = SIZES[size]
    page = new_page(width=width, height=height)
    login(page, MEMBER_EMAIL)
    page.goto("/transfer")
    walk = walk_from_skip_link(page, steps=5)
    shot(page, f"keyboard-transfer-{width}")
    assert_visual_order(
        walk,
        [
            "select[name=from_account]",
            "input[name=to]",
            "input[name=amount]",
            "input[name=memo]",
            "button 'Continue'",
        ],
    )


def test_the_login_form_submits_from_the_keyboard(new_page: NewPage) -> None:
    """Typing and Enter alone log a member in."""
    page = new_page()
    page.goto("/login")
    walk_from_skip_link(page, steps=1)
    page.keyboard.type(MEMBER_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type("tally-demo-password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("?")[0].endswith("/dashboard"), page.url
