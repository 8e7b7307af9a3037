"""Money at the edges: currencies, and exact conversion between "12.50" and 1250.

Inside Tally money is always an int of minor units; a Decimal appears only here, where a
person types or reads an amount. Typed amounts are read one way only — ASCII digits with
at most one "." — so nothing is ever guessed: "1,50" is refused, not read as 150.
"""

from __future__ import annotations

import re
from decimal import Decimal

# ISO 4217 codes Tally holds, with their number of decimal places.
CURRENCY_EXPONENTS = {"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "JPY": 0}
SUPPORTED_CURRENCIES = tuple(sorted(CURRENCY_EXPONENTS))
MIN_AMOUNT = 1  # minor units: no movement, price or order is free
MAX_AMOUNT = 10**12  # minor units, per movement
# More integer digits than any amount Tally holds: refused before building the integer.
MAX_WHOLE_DIGITS = 15

# Digits, at most one ".", at least one digit; ASCII only (no other scripts, signs,
# exponents, separators or spaces inside).
AMOUNT_TEXT = re.compile(r"(?P<whole>[0-9]*)(?:\.(?P<fraction>[0-9]*))?", re.ASCII)

NOT_AN_AMOUNT = 'This is not an amount. Type digits with at most one "." (like 12.50).'


def exponent(currency: str) -> int:
    return CURRENCY_EXPONENTS.get(currency, 2)


def to_minor_units(text: str, currency: str) -> int:
    """ "12.50" USD → 1250, exactly; ValueError (its message for the field) otherwise."""
    match = AMOUNT_TEXT.fullmatch(text.strip())
    if match is None:
        raise ValueError(NOT_AN_AMOUNT)
    whole, fraction = match["whole"], match["fraction"] or ""
    if not whole and not fraction:
        raise ValueError(NOT_AN_AMOUNT)
    places = exponent(currency)
    if len(fraction) > places:
        raise ValueError(f"The amount has more than {places} decimal places.")
    if len(whole.lstrip("0")) > MAX_WHOLE_DIGITS:
        raise ValueError("The amount is too large.")
    return int(whole or "0") * 10**places + int(fraction.ljust(places, "0") or "0")


def format_minor_units(amount: int, currency: str) -> str:
    """1250 USD → "12.50"; -5 USD → "-0.05"."""
    places = exponent(currency)
    return f"{Decimal(amount).scaleb(-places):.{places}f}"


def format_money(amount: int, currency: str, *, signed: bool = False) -> str:
    """1250, "USD" → "12.50 USD"; with `signed`, credits read "+12.50 USD"."""
    text = format_minor_units(amount, currency)
    if signed and amount > 0:
        text = f"+{text}"
    return f"{text} {currency}"


# The field error for an amount out of range, in minor units (the API's unit).
AMOUNT_OUT_OF_RANGE = f"Enter an amount between {MIN_AMOUNT} and {MAX_AMOUNT} minor units."


def is_amount_in_range(amount: int) -> bool:
    """Whether `amount` (minor units) may be moved, or be a price: MIN_AMOUNT..MAX_AMOUNT."""
    return MIN_AMOUNT <= amount <= MAX_AMOUNT


def amount_out_of_range(currency: str) -> str:
    """The field error for an amount outside MIN_AMOUNT..MAX_AMOUNT, in the currency's units
    ("Enter an amount between 0.01 USD and 10000000000.00 USD.") rather than in minor units."""
    low, high = format_money(MIN_AMOUNT, currency), format_money(MAX_AMOUNT, currency)
    return f"Enter an amount between {low} and {high}."
