"""The filters the page templates use: `{{ amount | money(currency, signed=True) }}`."""

from __future__ import annotations

from webapp.core.money import format_money
from webapp.web.blueprint import bp

bp.add_app_template_filter(format_money, "money")
