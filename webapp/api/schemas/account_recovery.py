"""Account recovery: a password reset by mail, and an address verified by mail."""

from __future__ import annotations

from pydantic import Field

from webapp.api.schemas.bases import PublicSchema, RequestSchema
from webapp.api.schemas.fields import EmailAddress, LinkTokenText, NewPassword, example
from webapp.core.email_address import MAX_EMAIL_LENGTH


class PasswordResetRequest(RequestSchema):
    model_config = example({"email": "ada@example.com"})

    email: EmailAddress = Field(max_length=MAX_EMAIL_LENGTH)


class PasswordResetConfirm(RequestSchema):
    model_config = example({"token": "Zk3…", "newPassword": "a new long passphrase"})

    token: LinkTokenText
    new_password: NewPassword


class EmailVerification(RequestSchema):
    model_config = example({"token": "Zk3…"})

    token: LinkTokenText


class MailQueuedPublic(PublicSchema):
    """The answer of a 202 that queues a mail (for a reset: if the address is a member's)."""

    message: str
