"""Email verification and password reset pages: /verify-email/<token>, /forgot-password,
/reset-password/<token>, and the settings' "send a new link" button.

A mailed link's GET only shows a page (mail scanners that open links must not spend
them); its form's POST does the work, through the same services as the API.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from webapp.core.errors import Conflict, ValidationError
from webapp.infra.ratelimits import (
    client_ip,
    password_reset_per_email,
    password_reset_per_ip,
    verification_mail_per_user,
)
from webapp.services.email_verification import EmailVerificationService
from webapp.services.password_reset import PasswordResetService
from webapp.web.blueprint import bp
from webapp.web.forms import ActionForm, ForgotPasswordForm, ResetPasswordForm, show_error

VERIFIED = "Your email address is verified. Thank you."
PASSWORD_RESET = "Your new password is set and every session was logged out. Log in with it."


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify_email(token: str) -> str | Response:
    form = ActionForm()
    if form.validate_on_submit():
        try:
            EmailVerificationService().verify(token)
        except ValidationError:
            return render_template("account/verify_email.html", form=form, live=False)
        flash(VERIFIED, "success")
        return redirect(url_for("web.settings" if current_user.is_authenticated else "web.login"))
    live = EmailVerificationService().link_works(token)
    return render_template("account/verify_email.html", form=form, live=live)


@bp.post("/settings/verify-email")
@login_required
@verification_mail_per_user
def settings_verify_email() -> Response:
    if ActionForm().validate_on_submit():
        try:
            sent = EmailVerificationService().resend(current_user.principal)
        except Conflict as error:
            flash(error.message, "info")
        else:
            flash(sent.message, "success")
    return redirect(url_for("web.settings"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@password_reset_per_ip
@password_reset_per_email
def forgot_password() -> str | Response:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            queued = PasswordResetService().request_reset(form.email.data, ip=client_ip())
        except ValidationError as error:
            show_error(form, error)
        else:
            flash(queued.message, "success")
            return redirect(url_for("web.forgot_password"))
    return render_template("account/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response:
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            PasswordResetService().reset(token, form.new_password.data)
        except ValidationError as error:
            if error.details and "token" in error.details:
                return render_template("account/reset_password.html", form=form, live=False)
            show_error(form, error)
        else:
            # Every session ended, this browser's too: nothing of its cookie stays.
            logout_user()
            session.clear()
            flash(PASSWORD_RESET, "success")
            return redirect(url_for("web.login"))
        return render_template("account/reset_password.html", form=form, live=True)
    live = PasswordResetService().link_works(token)
    return render_template("account/reset_password.html", form=form, live=live)
