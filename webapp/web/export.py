"""/settings/export: "Download my data", the same JSON document as the API's export."""

from __future__ import annotations

from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.edge.downloads import streamed_download
from webapp.services.users.export import MEDIA_TYPE, ExportService
from webapp.web.blueprint import bp


@bp.get("/settings/export")
@login_required
def settings_export() -> Response:
    """Everything held about the member, as a JSON file to save (streamed)."""
    export = ExportService().export(current_user.principal)
    return streamed_download(export.text, export.filename, MEDIA_TYPE)
