"""The landing page: what Tally is, and the way in (or back to one's own pages)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from webapp.web.blueprint import bp
from webapp.web.navigation import home_url


@bp.get("/")
def index() -> str:
    # A visitor is asked to register or log in; someone logged in is offered their own home.
    own_home = home_url() if current_user.is_authenticated else None
    return render_template("home/index.html", home_url=own_home)
