"""Register, log in and log out in the browser."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.errors import AccountDisabled, Conflict, Unauthorized, ValidationError
from webapp.ratelimits import client_ip, login_per_email, login_per_ip, register_per_ip
from webapp.services.auth import AuthService, ClientInfo
from webapp.services.users import UserService
from webapp.web.blueprint import bp
from webapp.web.forms import ActionForm, LoginForm, RegisterForm, show_error
from webapp.web.navigation import home_url, safe_next
from webapp.web.session_auth import end_browser_session, start_browser_session


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
            UserService().register(
                email=form.email.data, password=form.password.data, name=form.name.data
            )
            auth_session = AuthService().login_browser(
                form.email.data, form.password.data, client_info()
            )
        except (ValidationError, Conflict) as error:
            show_error(form, error)
        else:
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
            auth_session = AuthService().login_browser(
                form.email.data, form.password.data, client_info()
            )
        except (Unauthorized, AccountDisabled) as error:
            show_error(form, error)
        else:
            start_browser_session(auth_session)
            return redirect(next_url or home_url())
    return render_template("auth/login.html", form=form, next_url=next_url)


@bp.post("/logout")
def logout() -> Response:
    form = ActionForm()
    if form.validate_on_submit():
        end_browser_session()
        flash("You are logged out.", "success")
    return redirect(url_for("web.index"))
