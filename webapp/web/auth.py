"""Register, log in and log out in the browser."""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.core.errors import AccountDisabled, Conflict, MfaRequired, Unauthorized, ValidationError
from webapp.infra.ratelimits import client_ip, login_per_email, login_per_ip, register_per_ip
from webapp.models import AuthSession
from webapp.services.auth import AuthService, ClientInfo, SecondFactorNeeded
from webapp.services.mfa.service import WRONG_CODE
from webapp.services.users.registration import RegistrationService
from webapp.web.blueprint import bp
from webapp.web.forms import ActionForm, CodeForm, LoginForm, RegisterForm, show_error
from webapp.web.navigation import home_url, safe_next
from webapp.web.session_auth import end_browser_session, start_browser_session

PENDING_LOGIN_KEY = "pending_login"


def client_info() -> ClientInfo:
    return ClientInfo(ip=client_ip(), user_agent=request.headers.get("User-Agent"))


@bp.route("/register", methods=["GET", "POST"])
@register_per_ip
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(home_url())
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            RegistrationService().register(
                email=form.email.data, password=form.password.data, name=form.name.data
            )
            auth_session = AuthService().login_browser(
                form.email.data, form.password.data, client_info()
            )
        except (ValidationError, Conflict) as error:
            show_error(form, error)
        else:
            assert isinstance(auth_session, AuthSession), "a new member has no second factor"
            start_browser_session(auth_session)
            flash("Welcome to Tally. Your Main account is open.", "success")
            return redirect(home_url())
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@login_per_ip
@login_per_email
def login() -> str | Response:
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or home_url())
    form = LoginForm()
    if form.validate_on_submit():
        try:
            outcome = AuthService().login_browser(
                form.email.data, form.password.data, client_info()
            )
        except (Unauthorized, AccountDisabled) as error:
            show_error(form, error)
        else:
            if isinstance(outcome, SecondFactorNeeded):
                # Not logged in yet: who typed the right password, and when (nothing secret).
                session[PENDING_LOGIN_KEY] = {"user": outcome.user_id, "at": int(time.time())}
                return redirect(url_for("web.login_verify", next=next_url))
            start_browser_session(outcome)
            return redirect(next_url or home_url())
    return render_template("auth/login.html", form=form, next_url=next_url)


def pending_login() -> int | None:
    """The user whose right password waits for a second-factor code, if not expired."""
    pending = session.get(PENDING_LOGIN_KEY)
    if not isinstance(pending, dict):
        return None
    user_id, started = pending.get("user"), pending.get("at")
    if not isinstance(user_id, int) or not isinstance(started, int):
        return None
    if time.time() - started > current_app.config["MFA_LOGIN_TTL"]:
        return None
    return user_id


@bp.route("/login/verify", methods=["GET", "POST"])
def login_verify() -> str | Response:
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or home_url())
    user_id = pending_login()
    if user_id is None:
        if session.pop(PENDING_LOGIN_KEY, None) is not None:
            flash("Log in again: the login waited too long for its code.", "info")
        return redirect(url_for("web.login", next=next_url))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            auth_session = AuthService().complete_browser_login(
                user_id, form.code.data, client_info()
            )
        except MfaRequired:
            form.code.errors = [*form.code.errors, WRONG_CODE]
        except (Unauthorized, AccountDisabled) as error:
            session.pop(PENDING_LOGIN_KEY, None)
            flash(error.message, "error")
            return redirect(url_for("web.login", next=next_url))
        else:
            start_browser_session(auth_session)
            return redirect(next_url or home_url())
    return render_template("auth/login_verify.html", form=form, next_url=next_url)


@bp.post("/logout")
def logout() -> Response:
    form = ActionForm()
    if form.validate_on_submit():
        end_browser_session()
        flash("You are logged out.", "success")
    return redirect(url_for("web.index"))
