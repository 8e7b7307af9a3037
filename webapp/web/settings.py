"""/settings: profile (name, money-received mail), password, and the active sessions."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from webapp.core.errors import ValidationError
from webapp.infra.ratelimits import password_check_per_user
from webapp.models import AuthSession
from webapp.services.auth import AuthService
from webapp.services.users.directory import UserDirectory
from webapp.services.users.passwords import PasswordService
from webapp.services.users.profile import ProfileService
from webapp.web.blueprint import bp
from webapp.web.confirmation import Confirmation, moment, render_confirmation
from webapp.web.forms import ActionForm, MoneyMailForm, PasswordForm, ProfileForm, show_error
from webapp.web.template_filters import describe_user_agent


def render_settings(
    profile: ProfileForm | None = None, password: PasswordForm | None = None
) -> str:
    return render_template(
        "settings/index.html",
        profile=profile or ProfileForm(name=current_user.name),
        # Never read from another form's POST, where the box would seem unticked.
        money_mail=MoneyMailForm(
            formdata=None,
            notify_money_received=current_user.principal.record.notify_money_received,
        ),
        password=password or PasswordForm(),
        action=ActionForm(),
        sessions=UserDirectory().sessions_of(current_user.id),
        current_session_id=current_user.session_id,
    )


@bp.get("/settings")
@login_required
def settings() -> str:
    return render_settings()


@bp.post("/settings/profile")
@login_required
def update_profile() -> str | Response:
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            ProfileService().rename(current_user.id, form.name.data)
        except ValidationError as error:
            show_error(form, error)
        else:
            flash("Your name is saved.", "success")
            return redirect(url_for("web.settings"))
    return render_settings(profile=form)


@bp.post("/settings/money-mail")
@login_required
def update_money_mail() -> Response:
    form = MoneyMailForm()
    if form.validate_on_submit():
        on = form.notify_money_received.data
        ProfileService().set_money_received_mail(current_user.id, on)
        flash(f"Mail when money arrives is now {'on' if on else 'off'}.", "success")
    return redirect(url_for("web.settings"))


@bp.post("/settings/password")
@login_required
@password_check_per_user
def change_password() -> str | Response:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            PasswordService().change_password(
                current_user.id,
                current_password=form.current_password.data,
                new_password=form.new_password.data,
                keep_session_id=current_user.session_id,
            )
        except ValidationError as error:
            show_error(form, error)
        else:
            flash("Password changed. Every other session has been logged out.", "success")
            return redirect(url_for("web.settings"))
    return render_settings(password=form)


def session_facts(session: AuthSession) -> list[tuple[str, str]]:
    kind = "Browser" if session.kind == "browser" else "API tokens"
    last_used = moment(session.last_used_at) if session.last_used_at else "—"
    facts = [
        ("Kind", kind),
        ("Started", moment(session.created_at)),
        ("Last used", last_used),
        ("From", session.ip_address or "—"),
    ]
    if session.user_agent:
        facts.append(
            ("Device", f"{describe_user_agent(session.user_agent)} ({session.user_agent})")
        )
    return facts


@bp.get("/settings/sessions/<id:session_id>/revoke/confirm")
@login_required
def revoke_session_confirm(session_id: int) -> str:
    session = UserDirectory().session_of(current_user.id, session_id)
    this_one = session.id == current_user.session_id
    return render_confirmation(
        Confirmation(
            question="Log out this browser?" if this_one else "Log out that session?",
            facts=session_facts(session),
            consequence="You will be logged out here and sent to the login page."
            if this_one
            else "Whoever uses that session is logged out; your other sessions stay.",
            act="Log out this session",
            keep="Stay logged in",
            back=url_for("web.settings"),
        )
    )


@bp.post("/settings/sessions/<id:session_id>/revoke")
@login_required
def revoke_session(session_id: int) -> Response:
    if ActionForm().validate_on_submit():
        ending_this_one = session_id == current_user.session_id
        AuthService().logout_session(current_user.id, session_id)
        if ending_this_one:
            logout_user()
            return redirect(url_for("web.login"))
        flash("That session is logged out.", "success")
    return redirect(url_for("web.settings"))


@bp.get("/settings/logout-everywhere/confirm")
@login_required
def logout_everywhere_confirm() -> str:
    count = len(UserDirectory().sessions_of(current_user.id))
    return render_confirmation(
        Confirmation(
            question="Log out everywhere?",
            facts=[("Active sessions", str(count))],
            consequence="Every session of yours ends, this one included: browsers and API"
            " logins alike. You will log in again here.",
            act="Log out everywhere",
            keep="Stay logged in",
            back=url_for("web.settings"),
        )
    )


@bp.post("/settings/logout-everywhere")
@login_required
def logout_everywhere() -> Response:
    if ActionForm().validate_on_submit():
        AuthService().logout_everywhere(current_user.id)
        logout_user()
        flash("You are logged out everywhere.", "success")
        return redirect(url_for("web.login"))
    return redirect(url_for("web.settings"))
