"""/api/v1/users/me/export: everything held about the caller, as one JSON file."""

from __future__ import annotations

from flask import Response

from webapp.api.auth_guard import principal
from webapp.api.blueprint import bp
from webapp.api.operations import Download, operation
from webapp.edge.downloads import streamed_download
from webapp.services.users.export import MEDIA_TYPE, SECTIONS, ExportService

LISTS = [section.name for section in SECTIONS]
EXPORT_JSON = Download(
    MEDIA_TYPE,
    f"One JSON object, outside the envelope: user, then {', '.join(LISTS)}, each a list "
    "oldest first; records as the API writes them. Never a password hash, token hash, TOTP "
    "secret or recovery code.",
    schema={
        "type": "object",
        "required": ["user", *LISTS],
        "properties": {
            "user": {"type": "object"},
            **{name: {"type": "array", "items": {"type": "object"}} for name in LISTS},
        },
    },
)


@bp.get("/users/me/export")
@operation("users", download=EXPORT_JSON, refusals=(403,))
def export_me() -> Response:
    """Download everything held about the caller as JSON, streamed.

    The profile, accounts with balances, every ledger line, orders with items, payment
    requests both ways, sessions, personal access tokens, webhooks and the audit events
    about or by the caller. A login session only: a personal access token gets 403.
    """
    export = ExportService().export(principal())
    return streamed_download(export.text, export.filename, MEDIA_TYPE)
