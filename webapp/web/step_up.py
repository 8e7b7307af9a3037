"""/confirm-password: proving it is still you, then back to the page that asked.

An action that needs a recent login raises ReauthenticationRequired; the pages' error
handler (webapp.edge.errors) sends the member here with `next`, the page to go back to.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.core.errors import MfaRequired, ValidationError
from webapp.edge.errors import CONFIRM_PASSWORD_PATH
from webapp.infra.ratelimits import password_check_per_user
from webapp.services.mfa.service import WRONG_CODE
from webapp.services.step_up import StepUpService
from webapp.web.blueprint import bp
from webapp.web.forms import ConfirmPasswordForm, add_error, show_error
from webapp.web.navigation import home_url, safe_next


@bp.route(CONFIRM_PASSWORD_PATH, methods=["GET", "POST"])
@login_required
@password_check_per_user
def confirm_password() -> str | Response:
    next_url = safe_next(request.args.get("next")) or home_url()
    second_factor = current_user.principal.record.mfa_enabled
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        try:
            StepUpService().confirm_password(
                current_user.principal, password=form.password.data, code=form.code.data or ""
            )
        except ValidationError as error:
            show_error(form, error)
        except MfaRequired:
            add_error(form.code, WRONG_CODE)
        else:
            flash("Thank you. You can go on with what you were doing.", "success")
            return redirect(next_url)
    return render_template(
        "auth/confirm_password.html", form=form, next_url=next_url, second_factor=second_factor
    )
