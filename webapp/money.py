"""Money at the edges: currencies, and exact conversion between "12.50" and 1250.

Inside Tally money is always an int of minor units; a Decimal appears only here, where a
person types or reads an amount.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 codes Tally holds, with their number of decimal places.
CURRENCY_EXPONENTS = {"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "JPY": 0}
SUPPORTED_CURRENCIES = tuple(sorted(CURRENCY_EXPONENTS))
MAX_AMOUNT = 10**12  # minor units, per movement


def exponent(currency: str) -> int:
    return CURRENCY_EXPONENTS.get(currency, 2)


def to_minor_units(text: str, currency: str) -> int:
    """ "12.50" USD → 1250, exactly; ValueError for anything that is not such an amount."""
    cleaned = text.strip().replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError("is not an amount") from exc
    if not value.is_finite():
        raise ValueError("is not an amount")
    if abs(value) >= 10**15:  # before int(): "1e999999" must not build a huge integer
        raise ValueError("is too large")
    places = exponent(currency)
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise ValueError(f"has more than {places} decimal places")
    return int(minor)


def format_minor_units(amount: int, currency: str) -> str:
    """1250 USD → "12.50"; -5 USD → "-0.05"."""
    places = exponent(currency)
    return f"{Decimal(amount).scaleb(-places):.{places}f}"
