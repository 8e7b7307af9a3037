"""The landing page."""

from __future__ import annotations

from flask import render_template

from webapp.web.blueprint import bp


@bp.get("/")
def index() -> str:
    return render_template("home/index.html")
