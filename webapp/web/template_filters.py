"""The filters the page templates use: `{{ amount | money(currency, signed=True) }}`,
`{{ session.user_agent | device }}`."""

from __future__ import annotations

from ua_parser import parse

from webapp.core.money import format_money
from webapp.web.blueprint import bp

UNKNOWN_BROWSER = "Unknown browser"
UNKNOWN = "Other"  # ua-parser's family for what it does not recognise


def describe_user_agent(user_agent: str | None) -> str:
    """A User-Agent header as a person reads it: "Firefox on Linux", "curl", or
    "Unknown browser" (ua-parser's rules, kept up to date by its maintainers)."""
    if not user_agent:
        return UNKNOWN_BROWSER
    parsed = parse(user_agent).with_defaults()
    browser, system = parsed.user_agent.family, parsed.os.family
    if browser == UNKNOWN:
        return UNKNOWN_BROWSER
    return browser if system == UNKNOWN else f"{browser} on {system}"


bp.add_app_template_filter(format_money, "money")
bp.add_app_template_filter(describe_user_agent, "device")
