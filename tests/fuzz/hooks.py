"""Schemathesis hooks for the Tally fuzzing suite (loaded through `hooks` in schemathesis.toml).

One check, `refusal_is_a_business_rule`, narrows what schemathesis.toml lets
`positive_data_acceptance` accept. A schema-valid request may still be refused where the
rule is one no schema can state: the ledger's (funds, currencies, one account to itself),
the shop's (stock, an archived product), a statement's range (two valid days in the
wrong order or too far apart), the owner's (a wrong current password, an admin
locking themselves out), a common password, or a cursor the API never gave out (an opaque
position, like an id that names nothing). On those operations schemathesis.toml adds the
refusal's status to the expected ones, and this check fails every refusal that is not one
of the operation's named rules below: any other 400 or 422 still means the document
promised something the API refuses.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis

from webapp.core.dates import NO_SUCH_DAY
from webapp.services.access_tokens import NAME_RULE
from webapp.services.mailed_links import DEAD_LINK
from webapp.services.mfa.service import WRONG_CODE, WRONG_PASSWORD
from webapp.services.payment_requests import PAYER_RULES
from webapp.services.wallet.balance_history import NOT_A_DAY, RANGE_RULES
from webapp.services.wallet.ledger import FROM_AFTER_TO
from webapp.services.wallet.statement import END_BEFORE_START, RANGE_TOO_LONG

Rule = tuple[int, str, str | None, str | None]
WRONG_PASSWORD_OR_CODE = f"{re.escape(WRONG_PASSWORD)}|{re.escape(WRONG_CODE)}"
MALFORMED_CURSOR: Rule = (400, "BAD_REQUEST", "message", "The cursor is malformed.")
# An address the services' email check (email-validator) refuses though JSON Schema's
# `format: email` lets it through: a special-use domain (.test, .invalid, …), a quoted local
# part, an IP literal. No schema states that check; its message says which rule it was.
REFUSED_EMAIL: Rule = (422, "VALIDATION_ERROR", "email", None)

# Per operation: (status, code, where, what) — `where` is "message" or a details field
# (a regular expression, for the numbered item of a list), `what` the text it must say
# (None: any). Written from the services' own messages.
REFUSALS: dict[str, list[Rule]] = {
    "POST /transfers": [
        (422, "INSUFFICIENT_FUNDS", None, None),
        (422, "CURRENCY_MISMATCH", None, None),
        (422, "IDEMPOTENCY_KEY_REUSED", None, None),
        (
            422,
            "VALIDATION_ERROR",
            "toAccountId",
            "Send to another account than the one you send from.",
        ),
    ],
    "POST /orders": [
        (422, "INSUFFICIENT_FUNDS", None, None),
        (422, "OUT_OF_STOCK", None, None),
        (422, "CURRENCY_MISMATCH", None, None),
        (422, "IDEMPOTENCY_KEY_REUSED", None, None),
        (
            422,
            "VALIDATION_ERROR",
            r"items\.\d+\.productId",
            r"The product .+ is no longer sold\."
            r"|This product appears twice in the order\. Order it once with its total\.",
        ),
    ],
    # A payer no schema can tell from a member: nobody's email, or the caller's own.
    "POST /payment-requests": [
        (422, "VALIDATION_ERROR", "payerEmail", "|".join(map(re.escape, PAYER_RULES)))
    ],
    "POST /payment-requests/{requestId}/pay": [
        (422, "INSUFFICIENT_FUNDS", None, None),
        (422, "CURRENCY_MISMATCH", None, None),
        (422, "IDEMPOTENCY_KEY_REUSED", None, None),
    ],
    "PATCH /users/me": [
        (422, "VALIDATION_ERROR", "currentPassword", "The current password is incorrect.")
    ],
    "PATCH /users/{userId}": [
        (422, "VALIDATION_ERROR", "roles|isActive", "You cannot lock yourself out."),
    ],
    "POST /auth/register": [
        (422, "VALIDATION_ERROR", "password", "This password is too common. Choose another."),
        REFUSED_EMAIL,
    ],
    "POST /auth/password-reset": [REFUSED_EMAIL],
    # A mailed link's token no schema can tell from a live one; a wrong code or password.
    "POST /auth/verify-email": [(422, "VALIDATION_ERROR", "token", re.escape(DEAD_LINK))],
    "POST /auth/password-reset/confirm": [
        (422, "VALIDATION_ERROR", "token", re.escape(DEAD_LINK)),
        (422, "VALIDATION_ERROR", "newPassword", "This password is too common. Choose another."),
    ],
    "POST /users/me/mfa/totp/confirm": [(422, "VALIDATION_ERROR", "code", re.escape(WRONG_CODE))],
    "DELETE /users/me/mfa/totp": [
        (
            422,
            "VALIDATION_ERROR",
            "password|code",
            f"{re.escape(WRONG_PASSWORD)}|{re.escape(WRONG_CODE)}",
        ),
    ],
    # A name of spaces only, or with control characters (any script is a name).
    "POST /tokens": [(422, "VALIDATION_ERROR", "name", re.escape(NAME_RULE))],
    "GET /accounts": [MALFORMED_CURSOR],
    "GET /accounts/{accountId}/transactions": [
        MALFORMED_CURSOR,
        (422, "VALIDATION_ERROR", "from", re.escape(FROM_AFTER_TO)),
    ],
    # A date the pattern lets through (2024-02-30), or a range backwards or too long.
    "GET /accounts/{accountId}/balance-history": [
        (422, "VALIDATION_ERROR", "from|to", re.escape(NOT_A_DAY)),
        (422, "VALIDATION_ERROR", "from", "|".join(map(re.escape, RANGE_RULES))),
    ],
    # Two valid days may be in the wrong order or too far apart; and `format: date` allows
    # a year 0000, which no Python date holds.
    "GET /accounts/{accountId}/statement.csv": [
        (
            422,
            "VALIDATION_ERROR",
            "from|to",
            "|".join(re.escape(m) for m in (END_BEFORE_START, RANGE_TOO_LONG, NO_SUCH_DAY)),
        )
    ],
    "GET /admin/events": [MALFORMED_CURSOR],
    "GET /orders": [MALFORMED_CURSOR],
    "GET /payment-requests": [MALFORMED_CURSOR],
    "GET /products": [MALFORMED_CURSOR],
    "GET /tokens": [MALFORMED_CURSOR],
    "GET /users": [MALFORMED_CURSOR],
}


def error_of(response: schemathesis.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def named(error: dict[str, Any], status: int, rule: Rule) -> bool:
    rule_status, code, where, what = rule
    if status != rule_status or error.get("code") != code:
        return False
    if where is None:
        return True
    if where == "message":
        return error.get("message") == what
    details = error.get("details") or {}
    return bool(details) and all(
        re.fullmatch(where, field) and (what is None or re.fullmatch(what, str(message)))
        for field, message in details.items()
    )


def label(case: schemathesis.Case) -> str:
    return f"{case.operation.method.upper()} {case.operation.path.removeprefix('/api/v1')}"


@schemathesis.check
def refusal_is_a_business_rule(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A schema-valid request refused with 400 or 422 must meet one of its named rules."""
    meta = case.meta
    status = response.status_code
    if meta is None or not meta.generation.mode.is_positive or status not in (400, 422):
        return None
    expected = ctx.config.positive_data_acceptance.expected_statuses or []
    if str(status) not in expected:
        return None  # positive_data_acceptance itself reports this refusal
    error = error_of(response)
    rules = REFUSALS.get(label(case), [])
    if not any(named(error, status, rule) for rule in rules):
        raise AssertionError(
            f"Valid data was refused with {status} {error.get('code') or '(no code)'} "
            f"{error.get('details') or error.get('message') or ''}; on {label(case)} only "
            "these rules may refuse it: "
            + "; ".join(f"{s} {c} {w or ''} {t or ''}".strip() for s, c, w, t in rules)
        )
    return None
