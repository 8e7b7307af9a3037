"""/settings/security: the second factor (TOTP) and its recovery codes.

The second step of a login (/login/verify) lives with the login page, in `webapp.web.auth`.
"""

from __future__ import annotations

import segno
from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from webapp.core.errors import Conflict, ValidationError
from webapp.services.mfa.service import MfaService, RecoveryCodes
from webapp.web.blueprint import bp
from webapp.web.forms import ActionForm, CodeForm, TotpDisableForm, show_error

QR_SCALE = 4


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code, drawn here (no script, no request out)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=QR_SCALE, dark="#000", light="#fff", title="QR code for your authenticator app"
    )
    return Markup(svg)  # segno's own markup; the URI is encoded as modules, never as text


def render_security(
    *,
    confirm: CodeForm | None = None,
    disable: TotpDisableForm | None = None,
    regenerate: CodeForm | None = None,
    codes: RecoveryCodes | None = None,
) -> str:
    status = MfaService().status(current_user.id)
    enrollment = status.enrollment
    return render_template(
        "settings/security.html",
        status=status,
        qr=qr_svg(enrollment.otpauth_uri) if enrollment else None,
        action=ActionForm(),
        confirm=confirm or CodeForm(),
        disable=disable or TotpDisableForm(),
        regenerate=regenerate or CodeForm(prefix="regenerate"),
        codes=codes.recovery_codes if codes else None,
    )


@bp.get("/settings/security")
@login_required
def settings_security() -> str:
    return render_security()


@bp.post("/settings/security/totp")
@login_required
def settings_security_start() -> Response:
    if ActionForm().validate_on_submit():
        try:
            MfaService().start_enrollment(current_user.principal)
        except Conflict as error:
            flash(error.message, "error")
    return redirect(url_for("web.settings_security"))


@bp.post("/settings/security/totp/confirm")
@login_required
def settings_security_confirm() -> str | Response:
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = MfaService().confirm_enrollment(current_user.principal, form.code.data)
        except ValidationError as error:
            show_error(form, error)
        except Conflict as error:
            flash(error.message, "error")
            return redirect(url_for("web.settings_security"))
        else:
            flash("The second factor is on: logging in now asks for a code.", "success")
            # Shown in this answer only: the codes are stored as digests.
            return render_security(codes=codes)
    return render_security(confirm=form)


@bp.post("/settings/security/totp/disable")
@login_required
def settings_security_disable() -> str | Response:
    form = TotpDisableForm()
    if form.validate_on_submit():
        try:
            MfaService().disable(
                current_user.principal, password=form.password.data, code=form.code.data
            )
        except ValidationError as error:
            show_error(form, error)
        except Conflict as error:
            flash(error.message, "error")
            return redirect(url_for("web.settings_security"))
        else:
            flash("The second factor is off. We sent you a mail about it.", "success")
            return redirect(url_for("web.settings_security"))
    return render_security(disable=form)


@bp.post("/settings/security/recovery-codes")
@login_required
def settings_security_recovery_codes() -> str | Response:
    form = CodeForm(prefix="regenerate")
    if form.validate_on_submit():
        try:
            codes = MfaService().regenerate_recovery_codes(current_user.principal, form.code.data)
        except ValidationError as error:
            show_error(form, error)
        except Conflict as error:
            flash(error.message, "error")
            return redirect(url_for("web.settings_security"))
        else:
            flash("New recovery codes: the old ones no longer work.", "success")
            return render_security(codes=codes)
    return render_security(regenerate=form)
