"""Admin pages about members: the searchable list with its actions, and one member's page.

Each action is a CSRF-protected POST answering with a flash message and a redirect back to
the page it was sent from (`next`, a local path, which keeps the list's search and page); a
destructive one is reached through its confirmation page, which keeps that `next`."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.core.errors import Conflict, Forbidden, NotFound, ValidationError
from webapp.core.money import format_money
from webapp.models import Account, User
from webapp.models.user import ROLE_ADMIN
from webapp.services.access_tokens import AccessTokenService
from webapp.services.mfa.service import MfaService, admin_may_reset
from webapp.services.users.administration import UserAdminService
from webapp.services.users.directory import UserDirectory, UserDossier
from webapp.services.wallet.ledger import LedgerService
from webapp.web.access_tokens import token_facts
from webapp.web.blueprint import bp
from webapp.web.confirmation import Confirmation, render_confirmation
from webapp.web.forms import ActionForm, DepositForm, UserFilterForm, UserRolesForm, show_error
from webapp.web.navigation import safe_next
from webapp.web.session_auth import role_required
from webapp.web.wallet import account_choices

USERS_PAGE_SIZE = 20
# Around the current page, this many page links each side; the first and last always show.
PAGE_LINKS_AROUND = 2


def page_numbers(current: int, last: int) -> list[int | None]:
    """The page links to show: 1, the pages near `current`, `last`; None marks a gap."""
    near = range(max(1, current - PAGE_LINKS_AROUND), min(last, current + PAGE_LINKS_AROUND) + 1)
    shown = sorted({1, last, *near})
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links


def here() -> str:
    """This page's address with its query, for the actions to come back to."""
    return request.full_path.rstrip("?")


def back() -> str:
    return safe_next(request.args.get("next")) or url_for("web.admin_users")


def named(user_id: int) -> str:
    """How a message names a user: "Bob Example (bob@example.com)", never by number."""
    user = UserDirectory().get(user_id)
    return f"{user.name} ({user.email})"


def refusal(error: ValidationError | Conflict) -> str:
    """Each detail names what it is about, so the sentences are shown as they are."""
    return f"Nothing changed. {' '.join((error.details or {}).values()) or error.message}"


@bp.get("/admin/users")
@role_required(ROLE_ADMIN)
def admin_users() -> str:
    form = UserFilterForm(formdata=request.args)
    page = None
    if form.validate():
        try:
            page = UserDirectory().numbered_page(
                current_user.principal,
                q=form.q.data or None,
                role=form.role.data or None,
                page=form.page.data or 1,
                page_size=USERS_PAGE_SIZE,
            )
        except ValidationError as error:
            show_error(form, error)
    return render_template(
        "admin/users.html",
        form=form,
        page=page,
        page_links=page_numbers(page.page, page.total_pages) if page else [],
        filters={"q": form.q.data or None, "role": form.role.data or None},
        roles_form=UserRolesForm(formdata=None),
        action=ActionForm(),
        next_url=here(),
    )


def render_user(dossier: UserDossier, deposit: DepositForm | None = None) -> str:
    return render_template(
        "admin/user.html",
        dossier=dossier,
        user=dossier.user,
        deposit=deposit or deposit_form(dossier.accounts, formdata=None),
        roles_form=UserRolesForm(formdata=None),
        action=ActionForm(),
        next_url=url_for("web.admin_user", user_id=dossier.user.id),
        factor_resettable=admin_may_reset(dossier.user),
    )


def deposit_form(accounts: list[Account], **kwargs: object) -> DepositForm:
    form = DepositForm(**kwargs)
    form.account.choices = account_choices(accounts)
    return form


@bp.get("/admin/users/<id:user_id>")
@role_required(ROLE_ADMIN)
def admin_user(user_id: int) -> str:
    return render_user(UserDirectory().dossier(current_user.principal, user_id))


@bp.post("/admin/users/<id:user_id>/deposit")
@role_required(ROLE_ADMIN)
def admin_deposit(user_id: int) -> str | Response:
    dossier = UserDirectory().dossier(current_user.principal, user_id)
    form = deposit_form(dossier.accounts)
    if form.validate_on_submit():
        account = next(a for a in dossier.accounts if a.id == form.account.data)
        amount = form.amount.minor_units(account.currency)
        if amount is not None:
            try:
                LedgerService().deposit(
                    current_user.principal, account.id, amount=amount, memo=form.memo.data
                )
            except (ValidationError, NotFound) as error:
                show_error(form, error)
            else:
                flash(
                    f"Deposited {format_money(amount, account.currency)} to {account.name}"
                    f" (account {account.id}).",
                    "success",
                )
                return redirect(url_for("web.admin_user", user_id=user_id))
    return render_user(dossier, form)


def update_user(user_id: int, done: str, **changes: object) -> Response:
    """Apply an admin's change and come back with `done` (formatted with the user) or why not."""
    if ActionForm().validate_on_submit():
        try:
            user: User = UserAdminService().update_by_admin(current_user.id, user_id, **changes)
        except (ValidationError, Conflict) as error:
            flash(refusal(error), "error")
        else:
            flash(done.format(user=user, roles=", ".join(sorted(user.roles))), "success")
    return redirect(back())


@bp.post("/admin/users/<id:user_id>/roles")
@role_required(ROLE_ADMIN)
def admin_set_roles(user_id: int) -> Response:
    form = UserRolesForm()
    if not form.validate_on_submit():
        flash(f"Nothing changed. {' '.join(form.roles.errors)}", "error")
        return redirect(back())
    return update_user(
        user_id, "{user.name} ({user.email}) now has the roles: {roles}.", roles=form.roles.data
    )


def member_facts(user: User) -> list[tuple[str, str]]:
    return [("Name", user.name), ("Email", user.email)]


def confirm_for_member(user_id: int, **says: str) -> str:
    """The confirmation of an action on one member, naming them by name and email."""
    user = UserDirectory().get_for(current_user.principal, user_id)
    return render_confirmation(
        Confirmation(
            question=says["question"].format(user=user),
            facts=member_facts(user),
            consequence=says["consequence"].format(user=user),
            act=says["act"].format(user=user),
            keep="Keep things as they are",
            back=back(),
        )
    )


@bp.get("/admin/users/<id:user_id>/deactivate/confirm")
@role_required(ROLE_ADMIN)
def admin_deactivate_user_confirm(user_id: int) -> str:
    return confirm_for_member(
        user_id,
        question="Deactivate {user.name}?",
        consequence="{user.name} can no longer log in, every session of theirs ends and"
        " their tokens stop working, until an admin reactivates them.",
        act="Deactivate {user.name}",
    )


@bp.post("/admin/users/<id:user_id>/deactivate")
@role_required(ROLE_ADMIN)
def admin_deactivate_user(user_id: int) -> Response:
    return update_user(
        user_id,
        "{user.name} ({user.email}) is deactivated; every session is ended.",
        is_active=False,
    )


@bp.post("/admin/users/<id:user_id>/reactivate")
@role_required(ROLE_ADMIN)
def admin_reactivate_user(user_id: int) -> Response:
    return update_user(user_id, "{user.name} ({user.email}) is active again.", is_active=True)


@bp.get("/admin/users/<id:user_id>/sessions/revoke/confirm")
@role_required(ROLE_ADMIN)
def admin_revoke_sessions_confirm(user_id: int) -> str:
    return confirm_for_member(
        user_id,
        question="End every session of {user.name}?",
        consequence="{user.name} is logged out of every browser and API login and must log"
        " in again; the account stays active.",
        act="End the sessions of {user.name}",
    )


@bp.post("/admin/users/<id:user_id>/sessions/revoke")
@role_required(ROLE_ADMIN)
def admin_revoke_sessions(user_id: int) -> Response:
    if ActionForm().validate_on_submit():
        UserAdminService().revoke_sessions(current_user.id, user_id)
        flash(f"Every session of {named(user_id)} is ended.", "success")
    return redirect(back())


@bp.get("/admin/users/<id:user_id>/mfa/reset/confirm")
@role_required(ROLE_ADMIN)
def admin_reset_mfa_confirm(user_id: int) -> str:
    return confirm_for_member(
        user_id,
        question="Reset the second factor of {user.name}?",
        consequence="Their authenticator and recovery codes stop working, they log in with"
        " their password alone, and they are mailed about it.",
        act="Reset the second factor of {user.name}",
    )


@bp.post("/admin/users/<id:user_id>/mfa/reset")
@role_required(ROLE_ADMIN)
def admin_reset_mfa(user_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            MfaService().reset_by_admin(current_user.principal, user_id)
        except (Conflict, Forbidden) as error:
            flash(f"Nothing changed. {error.message}", "error")
        else:
            flash(
                f"The second factor of {named(user_id)} is off; they were mailed about it.",
                "success",
            )
    return redirect(back())


@bp.get("/admin/users/<id:user_id>/tokens/<id:token_id>/revoke/confirm")
@role_required(ROLE_ADMIN)
def admin_revoke_token_confirm(user_id: int, token_id: int) -> str:
    user = UserDirectory().get_for(current_user.principal, user_id)
    token = AccessTokenService().get_for_user(current_user.principal, user_id, token_id)
    return render_confirmation(
        Confirmation(
            question=f"Revoke the token “{token.name}” of {user.name}?",
            facts=[*member_facts(user), *token_facts(token)],
            consequence=f"Every script of {user.name} that uses it is refused from then on.",
            act=f"Revoke “{token.name}”",
            keep="Keep the token",
            back=back(),
        )
    )


@bp.post("/admin/users/<id:user_id>/tokens/<id:token_id>/revoke")
@role_required(ROLE_ADMIN)
def admin_revoke_token(user_id: int, token_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            AccessTokenService().revoke_for_user(current_user.principal, user_id, token_id)
        except NotFound:
            flash("Nothing changed. That token is already revoked or expired.", "error")
        else:
            flash(f"Token {token_id} of {named(user_id)} is revoked.", "success")
    return redirect(back())
