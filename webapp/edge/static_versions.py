"""Static files under versioned URLs: `url_for("static", filename="css/tally.css")` becomes
`/static/css/tally.css?v=<content hash>`, so a proxy may cache them for a year
(deploy/nginx.conf) and a changed file is fetched at once under its new URL."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask


def register_static_versions(app: Flask) -> None:
    folder = Path(app.static_folder or "")

    def digest_of(filename: str) -> str | None:
        path = (folder / filename).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]

    # Read once per file, except while developing, when files change under a running app.
    version = digest_of if app.debug else lru_cache(maxsize=256)(digest_of)

    def add_version(endpoint: str | None, values: dict[str, Any]) -> None:
        if endpoint != "static" or "v" in values or not (filename := values.get("filename")):
            return
        if (digest := version(filename)) is not None:
            values["v"] = digest

    app.url_defaults(add_version)
