"""Making a session's login old: what a stolen session looks like to step-up."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import update

from webapp.infra.extensions import db
from webapp.models import AuthSession
from webapp.models.base import utcnow


def age_logins(app: Flask, by: timedelta = timedelta(hours=1)) -> None:
    """Every session's `auth_time` `by` earlier: its login is that much older."""
    with app.app_context():
        db.session.execute(update(AuthSession).values(auth_time=utcnow() - by))
        db.session.commit()
