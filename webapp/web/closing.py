"""/settings/close: a member closes their account.

The page is the confirmation step itself: it says what happens, names the accounts that
still hold money (closing waits until they are empty), and asks for the password. The POST
goes to the same address, so a stale login's trip to /confirm-password comes back here.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from webapp.core.errors import AccountNotEmpty, Conflict, ValidationError
from webapp.infra.ratelimits import password_check_per_user
from webapp.services.users.closing import ClosingService
from webapp.web.blueprint import bp
from webapp.web.forms import CloseAccountForm, show_error

CLOSE_PATH = "/settings/close"


def render_close(form: CloseAccountForm) -> str:
    return render_template(
        "settings/close.html",
        form=form,
        holding_money=ClosingService().accounts_holding_money(current_user.id),
    )


@bp.get(CLOSE_PATH)
@login_required
def close_account_page() -> str:
    return render_close(CloseAccountForm(formdata=None))


@bp.post(CLOSE_PATH)
@login_required
@password_check_per_user
def close_account() -> str | Response:
    form = CloseAccountForm()
    if form.validate_on_submit():
        try:
            ClosingService().close(current_user.principal, form.password.data)
        except AccountNotEmpty as error:
            form.form_errors.append(error.message)
        except (ValidationError, Conflict) as error:
            show_error(form, error)
        else:
            logout_user()
            session.clear()
            flash(
                "Your account is closed and you are logged out. Thank you for using Tally.",
                "success",
            )
            return redirect(url_for("web.index"))
    return render_close(form)
