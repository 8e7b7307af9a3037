"""/settings/security: the second factor (TOTP) and its recovery codes.

The second step of a login (/login/verify) lives with the login page, in `webapp.web.auth`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import segno
from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from webapp.core.errors import Conflict, ValidationError
from webapp.services.mfa.service import MfaService, RecoveryCodes
from webapp.web.blueprint import bp
from webapp.web.forms import ActionForm, CodeForm, TotpDisableForm, show_error
from webapp.web.show_once import hold_for_next_page, page_showing, take_held

QR_SCALE = 4
HELD_CODES = "recovery-codes"


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
    codes: list[str] | None = None,
) -> Response:
    """The page; a form not given is shown empty (never filled from the POST being answered)."""
    status = MfaService().status(current_user.id)
    enrollment = status.enrollment
    return page_showing(
        render_template(
            "settings/security.html",
            status=status,
            qr=qr_svg(enrollment.otpauth_uri) if enrollment else None,
            action=ActionForm(),
            confirm=confirm or CodeForm(formdata=None),
            disable=disable or TotpDisableForm(formdata=None),
            regenerate=regenerate or CodeForm(formdata=None, prefix="regenerate"),
            codes=codes,
        ),
        secret=bool(codes),
    )


@bp.get("/settings/security")
@login_required
def settings_security() -> Response:
    return render_security(codes=take_held(HELD_CODES))


@bp.post("/settings/security/totp")
@login_required
def settings_security_start() -> Response:
    if ActionForm().validate_on_submit():
        try:
            MfaService().start_enrollment(current_user.principal)
        except Conflict as error:
            flash(error.message, "error")
    return redirect(url_for("web.settings_security"))


def answer_security_form(
    form: CodeForm,
    shown_as: Literal["confirm", "disable", "regenerate"],
    call: Callable[[], RecoveryCodes | None],
    done: str,
) -> Response:
    """One /settings/security form: `call` the service once the form is valid. Its refusal
    of a field (a wrong code or password) goes on the form, shown again as `shown_as`; a
    refusal of the state (already on, not on) is flashed. Success redirects to the page;
    new recovery codes (stored as digests) are held for that next page only, or shown in
    this answer if they cannot be held."""
    if form.validate_on_submit():
        try:
            codes = call()
        except ValidationError as error:
            show_error(form, error)
        except Conflict as error:
            flash(error.message, "error")
            return redirect(url_for("web.settings_security"))
        else:
            flash(done, "success")
            if codes is None or hold_for_next_page(HELD_CODES, codes.recovery_codes):
                return redirect(url_for("web.settings_security"))
            return render_security(codes=codes.recovery_codes)
    return render_security(**{shown_as: form})


@bp.post("/settings/security/totp/confirm")
@login_required
def settings_security_confirm() -> Response:
    form = CodeForm()
    return answer_security_form(
        form,
        "confirm",
        lambda: MfaService().confirm_enrollment(current_user.principal, form.code.data),
        "The second factor is on: logging in now asks for a code.",
    )


@bp.post("/settings/security/totp/disable")
@login_required
def settings_security_disable() -> Response:
    form = TotpDisableForm()
    return answer_security_form(
        form,
        "disable",
        lambda: MfaService().disable(
            current_user.principal, password=form.password.data, code=form.code.data
        ),
        "The second factor is off. We sent you a mail about it.",
    )


@bp.post("/settings/security/recovery-codes")
@login_required
def settings_security_recovery_codes() -> Response:
    form = CodeForm(prefix="regenerate")
    return answer_security_form(
        form,
        "regenerate",
        lambda: MfaService().regenerate_recovery_codes(current_user.principal, form.code.data),
        "New recovery codes: the old ones no longer work.",
    )
