"""The development mail backend: every mail a change queues is written as one .eml file
that a mail program opens, with the link a person follows."""

from __future__ import annotations

import email
import re
from email import policy

from tests.support.clients import PASSWORD


def test_a_registration_writes_its_verification_mail_as_an_eml_file(make_app, tmp_path):
    app = make_app(MAIL_BACKEND="file", MAIL_FILE_PATH=str(tmp_path / "mail"))
    body = {"email": "eml@example.com", "password": PASSWORD, "name": "Eml"}
    assert app.test_client().post("/api/v1/auth/register", json=body).status_code == 201

    [written] = list((tmp_path / "mail").glob("*.eml"))
    message = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["To"] == "eml@example.com"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert re.search(r"/verify-email/[A-Za-z0-9_-]{43}", text)
