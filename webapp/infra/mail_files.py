"""MAIL_BACKEND=file: each mail as its own .eml file, which any mail program opens.

flask-mailman's file backend appends every message of a connection to one `.log` file;
to try a reset link locally, one mail per file, named by time and recipient, is what a
person can find and open.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask_mailman.backends.base import BaseEmailBackend

log = logging.getLogger(__name__)


class EmlFileEmailBackend(BaseEmailBackend):  # type: ignore[misc]
    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.folder = Path(file_path or self.mailman.file_path).resolve()

    def send_messages(self, email_messages: list[Any]) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for message in email_messages:
            recipient = re.sub(r"[^A-Za-z0-9@._-]", "_", ",".join(message.to))[:80]
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            path = self.folder / f"{stamp}-{secrets.token_hex(3)}-{recipient}.eml"
            path.write_bytes(message.message().as_bytes())
            log.info("mail written to a file", extra={"fields": {"mailFile": str(path)}})
            written += 1
        return written
