"""/settings/tokens: personal access tokens for scripts.

A new token is shown once, on the page the POST that made it redirects to (Post/Redirect/
Get, `webapp.web.show_once`), and nowhere else: it is not flashed, since the session cookie
is signed, not encrypted, and would carry it.
"""

from __future__ import annotations

from dataclasses import asdict

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
from webapp.web.show_once import hold_for_next_page, page_showing, take_held

HELD_TOKEN = "new-token"


def render_tokens(
    form: AccessTokenForm | None = None, created: CreatedAccessToken | None = None
) -> Response:
    """The page; without a form, an empty one (never filled from the POST being answered)."""
    cursor = (request.args.get("cursor") or None) if request.method == "GET" else None
    page = AccessTokenService().list(current_user.principal, cursor=cursor)
    return page_showing(
        render_template(
            "settings/tokens.html",
            form=form or AccessTokenForm(formdata=None),
            page=page,
            paged=cursor is not None,
            created=created,
            days=(TOKEN_MIN_DAYS, TOKEN_MAX_DAYS),
        ),
        secret=bool(created),
    )


def held_token() -> CreatedAccessToken | None:
    """The token made by this session's last POST, if this is the page it redirected to."""
    held = take_held(HELD_TOKEN)
    if not isinstance(held, dict):
        return None
    try:
        view = AccessTokenService().get(current_user.principal, held["id"])
    except NotFound:  # revoked in between: its value is of no use any more
        return None
    return CreatedAccessToken(**asdict(view), token=held["token"])


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
def settings_tokens() -> Response:
    return render_tokens(created=held_token())


@bp.post("/settings/tokens")
@login_required
def settings_tokens_create() -> Response:
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
            # Shown on the next page only: the token is stored as a digest.
            if hold_for_next_page(HELD_TOKEN, {"id": created.id, "token": created.token}):
                return redirect(url_for("web.settings_tokens"))
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
