"""WTForms for the pages: syntax only. The rules (lengths, common passwords, uniqueness)
are the services'; their ValidationError details are shown on the matching fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import CheckboxInput, DateInput, ListWidget

from webapp.core.dates import parse_date
from webapp.core.email_address import MAX_EMAIL_LENGTH
from webapp.core.errors import AppError
from webapp.core.ids import ID_PATTERN, MAX_NUMBER
from webapp.core.money import (
    AMOUNT_OUT_OF_RANGE,
    SUPPORTED_CURRENCIES,
    amount_out_of_range,
    to_minor_units,
)
from webapp.models.account import DEFAULT_CURRENCY
from webapp.models.ledger import TRANSACTION_TYPES
from webapp.models.order import MAX_ITEMS_PER_ORDER, MAX_QUANTITY, ORDER_STATUSES
from webapp.models.security import (
    CODE_LENGTH,
    SCOPE_READ,
    TOKEN_DEFAULT_DAYS,
    TOKEN_MAX_DAYS,
    TOKEN_MIN_DAYS,
    TOKEN_NAME_LENGTH,
    TOKEN_SCOPES,
)
from webapp.models.user import ROLES
from webapp.services.shop.orders import QUANTITY_OUT_OF_RANGE
from webapp.services.wallet.ledger import MAX_HISTORY_TEXT_LENGTH, MAX_MEMO_LENGTH

NOT_A_DAY = "Enter a day as YYYY-MM-DD."


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


class MoneyMailForm(FlaskForm):
    notify_money_received = BooleanField("Mail me when money arrives")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[InputRequired()])
    new_password = PasswordField("New password", validators=[InputRequired()])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[InputRequired(), EqualTo("new_password", message="The passwords differ.")],
    )


class ActionForm(FlaskForm):
    """A button that POSTs: carries only the CSRF token."""


# --- Account security ---------------------------------------------------------------------


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), Length(max=MAX_EMAIL_LENGTH)])


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[InputRequired()])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[InputRequired(), EqualTo("new_password", message="The passwords differ.")],
    )


class CodeForm(FlaskForm):
    """A one-time code: from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        validators=[InputRequired(), Length(max=CODE_LENGTH)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )


class ConfirmPasswordForm(FlaskForm):
    """Proving it is still you: the password, and a code when a second factor is on."""

    password = PasswordField("Password", validators=[InputRequired()])
    code = StringField(
        "Code",
        validators=[Optional(), Length(max=CODE_LENGTH)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text"},
    )


class TotpDisableForm(CodeForm):
    password = PasswordField("Your password", validators=[InputRequired()])


class AccessTokenForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=TOKEN_NAME_LENGTH)])
    scopes = SelectMultipleField(
        "Scopes",
        choices=[SelectChoice(scope, scope) for scope in TOKEN_SCOPES],
        default=[SCOPE_READ],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    expires_in_days = IntegerField(
        "Expires in (days)",
        default=TOKEN_DEFAULT_DAYS,
        validators=[InputRequired(), NumberRange(min=TOKEN_MIN_DAYS, max=TOKEN_MAX_DAYS)],
    )


def add_error(field: Field, message: str) -> None:
    field.errors = [*field.errors, message]


def show_error(form: FlaskForm, error: AppError, fields: Mapping[str, str] | None = None) -> None:
    """Put a service error on the form: each detail on the field of its name (or of the name
    `fields` maps it to, where the form calls it otherwise), the rest on the form."""
    placed = False
    for name, message in (error.details or {}).items():
        field_name = (fields or {}).get(name, name)
        if field_name in form:
            field = form[field_name]
            add_error(field, field.shown(message) if isinstance(field, AmountField) else message)
            placed = True
    if not placed:
        form.form_errors.append(error.message)


class AmountField(StringField):
    """A decimal amount as a person types it ("12.50"), read exactly into a currency's minor
    units. A service states an amount's range in minor units (the API's unit); this field
    shows it in the currency's units instead."""

    def __init__(self, label: str = "Amount", **kwargs: Any) -> None:
        kwargs.setdefault("validators", [InputRequired(), Length(max=32)])
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, **kwargs)
        self.currency: str | None = None

    def minor_units(self, currency: str) -> int | None:
        """The typed amount in minor units of `currency`, or None with the reason on the field."""
        self.currency = currency
        try:
            return to_minor_units(self.data, currency)
        except ValueError as error:
            add_error(self, str(error))
            return None

    def shown(self, message: str) -> str:
        if message == AMOUNT_OUT_OF_RANGE and self.currency is not None:
            return amount_out_of_range(self.currency)
        return message


def day_text(_form: FlaskForm, field: Field) -> None:
    """A day typed as YYYY-MM-DD (webapp.core.dates' one grammar, as the API reads it)."""
    try:
        parse_date(field.data)
    except ValueError as error:
        raise FieldError(str(error)) from None


class DayField(StringField):
    """A day, YYYY-MM-DD (a date picker where the browser has one); may be left empty."""

    widget = DateInput()

    def __init__(self, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("validators", [Optional(), Length(max=10), day_text])
        super().__init__(label, **kwargs)

    @property
    def day(self) -> date | None:
        """The day typed, once the form validated; None when left empty."""
        return parse_date(self.data) if self.data else None


class StatementForm(FlaskForm):
    """The days of an account's statement (a GET form); a day left empty takes the
    service's default. Named `from` and `to` as the API's, with ids of their own."""

    class Meta:
        csrf = False

    start = DayField("From", name="from", id="statement-from")
    end = DayField("To", name="to", id="statement-to")


class TransferForm(FlaskForm):
    """Send money: the choices of `from_account` are the member's own accounts (set by the
    route); `to` is an account id or a member's email; `amount` is a decimal like "12.50"."""

    from_account = SelectField("From", coerce=int, validators=[InputRequired()])
    to = StringField("To", validators=[InputRequired(), Length(max=255)])
    amount = AmountField()
    memo = StringField("Memo (optional)", validators=[Optional(), Length(max=255)])


class TransferConfirmForm(TransferForm):
    """The confirmation of a transfer: the transfer form's fields as shown on the confirmation
    page, and `key`, a one-time key against double submits."""

    key = HiddenField(validators=[InputRequired(), Length(max=255)])


# --- Payment requests ---------------------------------------------------------------------


class PaymentRequestForm(FlaskForm):
    """Ask another member for money: the choices of `account_id` are the member's own accounts
    (set by the route), the one that receives it; `amount` is a decimal like "12.50" in its
    currency. Named as PaymentRequestService.create() names its details."""

    payer_email = EmailField(
        "Whom to ask (their email)",
        validators=[InputRequired(), Length(max=MAX_EMAIL_LENGTH)],
    )
    amount = AmountField()
    memo = StringField("Memo (optional)", validators=[Optional(), Length(max=MAX_MEMO_LENGTH)])
    account_id = SelectField("Into your account", coerce=int, validators=[InputRequired()])


class PayRequestForm(FlaskForm):
    """Pay a payment request: the choices of `from_account` are the payer's own accounts."""

    from_account = SelectField("Pay from", coerce=int, validators=[InputRequired()])


# --- The shop -----------------------------------------------------------------------------

EMPTY_CART = "Your cart is empty."
# A cart as the checkout form carries it: "productId:quantity" pairs, sorted, comma-separated.
CART_LINE = rf"{ID_PATTERN}:[0-9]{{1,{len(str(MAX_QUANTITY))}}}"
CART_SNAPSHOT = rf"{CART_LINE}(,{CART_LINE}){{0,{MAX_ITEMS_PER_ORDER - 1}}}"


def readable(_form: FlaskForm, field: Field) -> None:
    """After InputRequired: a value that could not be read ("abc" for a number) gets that one
    message, not the messages of the validators after it too."""
    if field.process_errors:
        raise StopValidation()


class CartLineForm(FlaskForm):
    """Add a product to the cart, or change the quantity of a line."""

    product_id = HiddenField(validators=[InputRequired(), Regexp(rf"^{ID_PATTERN}$")])
    quantity = IntegerField(
        "Quantity",
        default=1,
        validators=[
            InputRequired(),
            readable,
            NumberRange(min=1, max=MAX_QUANTITY, message=QUANTITY_OUT_OF_RANGE),
        ],
    )


class CartRemoveForm(FlaskForm):
    product_id = HiddenField(validators=[InputRequired(), Regexp(rf"^{ID_PATTERN}$")])


class CheckoutForm(FlaskForm):
    """Place the order: the choices of `account` are the member's own accounts (set by the
    route); `key` is a one-time key against double submits; `cart` is the cart as shown."""

    account = SelectField("Pay from", coerce=int, validators=[InputRequired()])
    key = HiddenField(validators=[InputRequired(), Length(max=255)])
    cart = HiddenField(
        validators=[InputRequired(message=EMPTY_CART), Regexp(rf"^{CART_SNAPSHOT}$")]
    )


class ProductForm(FlaskForm):
    """A product as an admin edits it; `price` is a decimal like "12.50"."""

    sku = StringField("SKU", validators=[InputRequired()])
    name = StringField("Name", validators=[InputRequired()])
    description = TextAreaField("Description (optional)", validators=[Optional()])
    price = AmountField("Price")
    stock = IntegerField("Stock", default=0, validators=[InputRequired(), readable])


class ProductCreateForm(ProductForm):
    currency = SelectField("Currency", choices=list(SUPPORTED_CURRENCIES), default=DEFAULT_CURRENCY)


class ProductEditForm(ProductForm):
    is_active = BooleanField("Sold in the shop (active)")


ANY = SelectChoice("", "Any")


def day_field(label: str, name: str) -> DateField:
    """An optional UTC day, YYYY-MM-DD (what a browser's date input sends)."""
    return DateField(
        label,
        name=name,
        format="%Y-%m-%d",
        validators=[Optional()],
        invalid_value_message=NOT_A_DAY,
    )


class HistoryFilterForm(FlaskForm):
    """The filters of an account's history (a GET form, named as the API names them: type,
    from, to, q); the service says whether the range and the text can be run."""

    class Meta:
        csrf = False

    type = SelectField(
        "Type",
        choices=[
            ANY,
            *(
                SelectChoice(kind, kind.replace("_", " ").capitalize())
                for kind in TRANSACTION_TYPES
            ),
        ],
        validators=[Optional()],
    )
    since = day_field("From", "from")
    until = day_field("To", "to")
    q = StringField(
        "Memo or email",
        validators=[Optional(), Length(max=MAX_HISTORY_TEXT_LENGTH)],
    )


class OrderFilterForm(FlaskForm):
    """The status filter of the admin order list (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any"),
            *(SelectChoice(status, status.capitalize()) for status in ORDER_STATUSES),
        ],
        validators=[Optional()],
    )


# --- Admin: users and the audit log ------------------------------------------------------


class UserFilterForm(FlaskForm):
    """Search and role filter of the admin user list, and the page shown (a GET form)."""

    class Meta:
        csrf = False

    q = StringField("Email or name", validators=[Optional(), Length(max=MAX_EMAIL_LENGTH)])
    role = SelectField(
        "Role",
        choices=[ANY, *(SelectChoice(role, role.capitalize()) for role in ROLES)],
        validators=[Optional()],
    )
    page = IntegerField(
        "Page",
        default=1,
        # Two ranges, so that a page of 0 reads "at least 1", not "between 1 and 10**18 - 1".
        validators=[Optional(), readable, NumberRange(min=1), NumberRange(max=MAX_NUMBER)],
    )


class UserRolesForm(FlaskForm):
    """The roles a user is to hold, one checkbox per role (the service says which sets go)."""

    roles = SelectMultipleField(
        "Roles",
        choices=[SelectChoice(role, role.capitalize()) for role in ROLES],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class DepositForm(FlaskForm):
    """Credit one of a member's accounts: the choices of `account` are theirs (set by the
    route); `amount` is a decimal like "12.50" in that account's currency."""

    account = SelectField("Account", coerce=int, validators=[InputRequired()])
    amount = AmountField()
    memo = StringField("Memo (optional)", validators=[Optional(), Length(max=255)])


class EventFilterForm(FlaskForm):
    """Type and user filters of the audit log (a GET form); the route sets the type choices
    to the types present."""

    class Meta:
        csrf = False

    type = SelectField("Type", choices=[ANY], validators=[Optional()])
    user = StringField(
        "User id",
        validators=[Optional(), Regexp(rf"^{ID_PATTERN}$", message="Type a user id, like 42.")],
        render_kw={"inputmode": "numeric"},
    )


# --- Closing the account ------------------------------------------------------------------


class CloseAccountForm(FlaskForm):
    """Closing the account: the password once more, on the page that is its confirmation."""

    password = PasswordField("Your password", validators=[InputRequired()])
