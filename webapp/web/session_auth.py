"""Browser sessions on flask-login, backed by revocable session records.

The cookie names the user and their session record ("<user id>:<session id>"). Each
request checks it against the cached user record, so a cookie copied before logout,
"log out everywhere", a password change or deactivation is anonymous afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, flash, g, redirect, session, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from webapp.core.ids import parse_public_id
from webapp.infra.extensions import login_manager
from webapp.models import AuthSession
from webapp.services.auth import AuthService
from webapp.services.principal import Principal
from webapp.web.session_cart import take_session_cart

P = ParamSpec("P")
R = TypeVar("R")

TOUCH_EVERY_SECONDS = 300
SEEN_KEY = "seen"


class SessionUser(UserMixin):
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    def get_id(self) -> str:
        return f"{self.principal.user_id}:{self.principal.session_id}"

    @property
    def id(self) -> int:
        return self.principal.user_id

    @property
    def session_id(self) -> int:
        return self.principal.session_id

    @property
    def name(self) -> str:
        return self.principal.record.name

    @property
    def email(self) -> str:
        return self.principal.record.email

    @property
    def is_admin(self) -> bool:
        return self.principal.is_admin


@login_manager.user_loader
def load_session_user(cookie_id: str) -> SessionUser | None:
    user_part, _, session_part = cookie_id.partition(":")
    user_id, session_id = parse_public_id(user_part), parse_public_id(session_part)
    if user_id is None or session_id is None:
        return None
    principal = AuthService().principal_for_session(user_id, session_id)
    if principal is None:
        return None
    g.user_id = principal.user_id
    _note_use(principal.session_id)
    return SessionUser(principal)


def _note_use(session_id: int) -> None:
    """Record the session's last use now and then, not on every request."""
    now = int(time.time())
    if now - int(session.get(SEEN_KEY, 0)) >= TOUCH_EVERY_SECONDS:
        AuthService().touch_session(session_id)
        session[SEEN_KEY] = now


def start_browser_session(auth_session: AuthSession) -> None:
    """Log the browser in to a fresh session: nothing of the old cookie survives but the
    visitor's cart, merged into the member's stored cart first."""
    principal = AuthService().principal_for_session(auth_session.user_id, auth_session.id)
    assert principal is not None, "a session just opened is active"
    take_session_cart(principal.user_id)
    session.clear()
    login_user(SessionUser(principal))
    session[SEEN_KEY] = int(time.time())


def end_browser_session() -> None:
    if current_user.is_authenticated:
        AuthService().logout_session(current_user.id, current_user.session_id)
    logout_user()
    session.clear()


def role_required(role: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Anonymous → the login page; logged in without the role → the 403 page."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        @login_required
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.principal.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def members_only(back: Callable[..., str]) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """login_required for a form's POST: an anonymous visitor logs in and comes back to the
    page the form is on (`back`, given the view's arguments), not to the POST-only address
    (a 405 after login)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            if not current_user.is_authenticated:
                flash(login_manager.login_message, login_manager.login_message_category)
                return redirect(url_for("web.login", next=back(**kwargs)))
            return view(*args, **kwargs)

        return guarded

    return decorate
