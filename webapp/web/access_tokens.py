"""/settings/tokens: personal access tokens for scripts.

A new token is shown in the answer to the POST that made it, and nowhere else: it is not
flashed, since the session cookie is signed, not encrypted, and would carry it.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.core.errors import NotFound, ValidationError
from webapp.models.security import TOKEN_MAX_DAYS, TOKEN_MIN_DAYS
from webapp.services.access_tokens import (
    AccessTokenService,
    AccessTokenView,
    CreatedAccessToken,
)
from webapp.web.blueprint import bp
from webapp.web.confirmation import Confirmation, moment, render_confirmation
from webapp.web.forms import AccessTokenForm, ActionForm, show_error


def render_tokens(
    form: AccessTokenForm | None = None, created: CreatedAccessToken | None = None
) -> str:
    cursor = (request.args.get("cursor") or None) if request.method == "GET" else None
    page = AccessTokenService().list(current_user.principal, cursor=cursor)
    return render_template(
        "settings/tokens.html",
        form=form or AccessTokenForm(),
        page=page,
        paged=cursor is not None,
        created=created,
        days=(TOKEN_MIN_DAYS, TOKEN_MAX_DAYS),
    )


def token_facts(token: AccessTokenView) -> list[tuple[str, str]]:
    """A token as its confirmation names it (also the admin's, for a member's token)."""
    last_used = moment(token.last_used_at) if token.last_used_at else "Never"
    return [
        ("Name", token.name),
        ("Scopes", ", ".join(token.scopes)),
        ("Created", moment(token.created_at)),
        ("Expires", moment(token.expires_at)),
        ("Last used", last_used),
    ]


@bp.get("/settings/tokens")
@login_required
def settings_tokens() -> str:
    return render_tokens()


@bp.post("/settings/tokens")
@login_required
def settings_tokens_create() -> str:
    form = AccessTokenForm()
    if form.validate_on_submit():
        try:
            created = AccessTokenService().create(
                current_user.principal,
                form.name.data,
                list(form.scopes.data or []),
                form.expires_in_days.data,
            )
        except ValidationError as error:
            show_error(form, error)
        else:
            # Shown in this answer only: the token is stored as a digest.
            return render_tokens(created=created)
    return render_tokens(form=form)


@bp.get("/settings/tokens/<id:token_id>/revoke/confirm")
@login_required
def settings_tokens_revoke_confirm(token_id: int) -> str:
    token = AccessTokenService().get(current_user.principal, token_id)
    return render_confirmation(
        Confirmation(
            question=f"Revoke the token “{token.name}”?",
            facts=token_facts(token),
            consequence="Every script that uses it is refused from then on. This cannot be"
            " undone: you would make a new token.",
            act=f"Revoke “{token.name}”",
            keep="Keep the token",
            back=url_for("web.settings_tokens"),
        )
    )


@bp.post("/settings/tokens/<id:token_id>/revoke")
@login_required
def settings_tokens_revoke(token_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            AccessTokenService().revoke(current_user.principal, token_id)
        except NotFound:
            flash("That token is already revoked or expired.", "error")
        else:
            flash("The token is revoked: it no longer works.", "success")
    return redirect(url_for("web.settings_tokens"))
