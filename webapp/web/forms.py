"""WTForms for the pages: syntax only. The rules (lengths, common passwords, uniqueness)
are the services'; their ValidationError details are shown on the matching fields."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from webapp.errors import AppError


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired()])
    email = EmailField("Email", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])
    confirm = PasswordField(
        "Repeat the password",
        validators=[InputRequired(), EqualTo("password", message="The passwords differ.")],
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired()])


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[InputRequired()])
    new_password = PasswordField("New password", validators=[InputRequired()])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[InputRequired(), EqualTo("new_password", message="The passwords differ.")],
    )


class ActionForm(FlaskForm):
    """A button that POSTs: carries only the CSRF token."""


def _field_name(wire_name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", wire_name).lower()


def show_error(form: FlaskForm, error: AppError) -> None:
    """Put a service error on the form: each detail on its field, the rest on the form."""
    placed = False
    for wire_name, message in (error.details or {}).items():
        field = getattr(form, _field_name(wire_name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
            placed = True
    if not placed:
        form.form_errors.append(error.message)


class TransferForm(FlaskForm):
    """Send money: the choices of `from_account` are the member's own accounts (set by the
    route); `to` is an account id or a member's email; `amount` is a decimal like "12.50"."""

    from_account = SelectField("From", coerce=int, validators=[InputRequired()])
    to = StringField("To", validators=[InputRequired(), Length(max=255)])
    amount = StringField(
        "Amount",
        validators=[InputRequired(), Length(max=32)],
        render_kw={"inputmode": "decimal"},
    )
    memo = StringField("Memo (optional)", validators=[Optional(), Length(max=255)])
