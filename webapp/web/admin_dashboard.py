"""The admin dashboard: the system's figures and the last fortnight's activity as a chart."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from webapp.models.account import DEFAULT_CURRENCY
from webapp.models.user import ROLE_ADMIN
from webapp.services.stats import StatsService
from webapp.web.blueprint import bp
from webapp.web.chart import bar_chart
from webapp.web.session_auth import role_required

CHART_DAYS = 14


@bp.get("/admin")
@role_required(ROLE_ADMIN)
def admin_dashboard() -> str:
    stats = StatsService()
    activity = stats.daily_activity(current_user.principal, days=CHART_DAYS)
    return render_template(
        "admin/dashboard.html",
        stats=stats.overview(current_user.principal),
        activity=activity,
        chart=bar_chart(activity),
        default_currency=DEFAULT_CURRENCY,
    )
