"""The statement on /accounts/<id>, in a real browser: the range form's "Download CSV"
button saves the account's statement, named for the account and the days, at desktop and
at phone width."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from e2e_harness import NewPage, login
from playwright.sync_api import expect

MEMBER_EMAIL = "alice@example.com"  # the demo member with an account history
HEADER = "date,transactionId,type,counterparty,memo,amount,balanceAfter,currency"


@pytest.mark.parametrize("width", [1280, 390])
def test_download_csv_saves_the_statement_of_the_days_chosen(new_page: NewPage, width: int) -> None:
    page = new_page(width=width, height=900)
    login(page, MEMBER_EMAIL)
    page.goto("/dashboard")
    with page.expect_navigation():
        page.locator("table.accounts a[href^='/accounts/']").first.click()
    account_id = page.url.rstrip("/").rsplit("/", 1)[1]
    statement = page.get_by_role("region", name="Statement")
    expect(statement.get_by_label("From")).to_have_value(
        page.evaluate("new Date().toISOString().slice(0, 8) + '01'")
    )
    statement.get_by_label("From").fill("2020-01-01")
    statement.get_by_label("To").fill("2020-12-31")
    expect(statement.get_by_label("From")).to_have_value("2020-01-01")
    # A year of nothing first: only the header; then this month, with the demo's lines.
    with page.expect_download() as download:
        statement.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == f"tally-{account_id}-2020-01-01-2020-12-31.csv"
    assert Path(download.value.path()).read_bytes() == (HEADER + "\r\n").encode()

    page.reload()  # the form as the page first showed it: this month so far
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    with Path(download.value.path()).open(encoding="utf-8", newline="") as saved:
        rows = list(csv.reader(saved))
    assert ",".join(rows[0]) == HEADER and len(rows) > 1
    balance = page.locator(".account-facts .balance").inner_text().split()[0]
    assert rows[-1][6] == balance.replace(",", "")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width  # the form fits a phone
    assert page.console_errors == []  # type: ignore[attr-defined]
