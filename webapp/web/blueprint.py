"""The blueprint of the HTML pages, which every page module registers its routes on.

It lives apart from the package's `__init__`, which imports the page modules: were the
blueprint defined there, each page module would import its own importer (a cycle).
"""

from __future__ import annotations

from flask import Blueprint, abort, request

FILE_IN_FORM = "This form takes text only; a file cannot be sent in it."

bp = Blueprint("web", __name__)


@bp.before_request
def refuse_files() -> None:
    """No page takes a file, and Flask-WTF would hand one sent in a text field to that field
    (a FileStorage where a str is expected): such a request is a 400 before any form runs."""
    if request.files:
        abort(400, description=FILE_IN_FORM)
