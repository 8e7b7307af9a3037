"""The second factor: a TOTP turned on, confirmed and off, and its recovery codes."""

from __future__ import annotations

from webapp.api.schemas.bases import PublicSchema, RequestSchema
from webapp.api.schemas.fields import OneTimeCode, example


class TotpEnrollmentPublic(PublicSchema):
    secret: str
    otpauth_uri: str


class TotpConfirm(RequestSchema):
    model_config = example({"code": "123456"})

    code: OneTimeCode


class RecoveryCodesPublic(PublicSchema):
    recovery_codes: list[str]


class TotpDisable(RequestSchema):
    model_config = example({"password": "correct horse battery", "code": "123456"})

    password: str
    code: OneTimeCode
