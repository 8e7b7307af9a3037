"""The audit log for admins: every event, newest first, filtered by type and by user."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user

from webapp.core.errors import ValidationError
from webapp.core.ids import parse_public_id
from webapp.models import Event
from webapp.models.user import ROLE_ADMIN
from webapp.services.audit import AuditService
from webapp.web.blueprint import bp
from webapp.web.forms import ANY, EventFilterForm, show_error
from webapp.web.session_auth import role_required

EVENTS_PAGE_SIZE = 50

# The page each kind of subject ("user:7") links to, and the name of its id argument.
SUBJECT_PAGES = {
    "user": ("web.admin_user", "user_id"),
    "account": ("web.account", "account_id"),
    "order": ("web.order", "order_id"),
    "product": ("web.admin_edit_product", "product_id"),
}
# A money movement has no page of its own: it links to the account it moved money from
# (a transfer) or into (a deposit), as its event's data names it.
TRANSACTION_ACCOUNT_KEYS = ("fromAccountId", "accountId")


def subject_url(event: Event) -> str | None:
    """The admin's page about an event's subject, or None for kinds without one."""
    kind, _, raw_id = event.subject.partition(":")
    if kind == "transaction":
        data = event.data or {}
        raw_id = next((str(data[key]) for key in TRANSACTION_ACCOUNT_KEYS if key in data), "")
        kind = "account"
    target = SUBJECT_PAGES.get(kind)
    subject_id = parse_public_id(raw_id)
    if target is None or subject_id is None:
        return None
    endpoint, argument = target
    return url_for(endpoint, **{argument: subject_id})


bp.add_app_template_global(subject_url, "subject_url")


@bp.get("/admin/events")
@role_required(ROLE_ADMIN)
def admin_events() -> str:
    audit = AuditService()
    form = EventFilterForm(formdata=request.args)
    form.type.choices = [ANY, *audit.event_types()]
    cursor = request.args.get("cursor") or None
    page = None
    if form.validate():
        try:
            page = audit.described_page(
                current_user.principal,
                limit=EVENTS_PAGE_SIZE,
                cursor=cursor,
                event_type=form.type.data or None,
                user_id=parse_public_id(form.user.data),
            )
        except ValidationError as error:
            show_error(form, error)
    return render_template("admin/events.html", page=page, form=form, paged=bool(cursor))
