"""Typed amounts are read one way, exactly, and never guessed (hypothesis).

The contract: ASCII digits with at most one "." and no more decimals than the currency
has, surrounding spaces ignored; anything else is refused. So a canonical amount survives
format → parse → format, every number of minor units survives parse(format(m)), whatever
the parser accepts is exactly the Decimal the text spells, and everything else — commas,
signs, exponents, inner spaces, other digit scripts, NaN — is a ValueError, never a number.
"""

from __future__ import annotations

import string
from decimal import Decimal

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from webapp.core.money import (
    MAX_AMOUNT,
    MAX_WHOLE_DIGITS,
    SUPPORTED_CURRENCIES,
    exponent,
    format_minor_units,
    to_minor_units,
)

currencies = st.sampled_from(SUPPORTED_CURRENCIES)
digits = st.text(alphabet=string.digits, max_size=MAX_WHOLE_DIGITS + 3)
# What str.strip() removes around an amount: spaces, tabs, newlines, other Unicode spaces.
padding = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", max_size=3)
foreign_digits = st.characters(categories=["Nd"]).filter(lambda c: c not in string.digits)


def is_amount_text(text: str, currency: str) -> bool:
    """The contract's rule, spelled independently of the parser."""
    core = text.strip()
    whole, _, fraction = core.partition(".")
    return (
        all(c in string.digits for c in whole + fraction)  # so at most one "."
        and any(c in string.digits for c in core)
        and len(fraction) <= exponent(currency)
        and len(whole.lstrip("0")) <= MAX_WHOLE_DIGITS
    )


def exact_minor_units(text: str, currency: str) -> int:
    value = Decimal(text.strip()).scaleb(exponent(currency))
    assert value == value.to_integral_value()
    return int(value)


@st.composite
def canonical_amounts(draw: st.DrawFn) -> tuple[str, str]:
    """An amount as Tally writes it: no leading zeros, exactly the currency's decimals."""
    currency = draw(currencies)
    places = exponent(currency)
    whole = draw(st.integers(0, 10**MAX_WHOLE_DIGITS - 1))
    fraction = draw(st.text(alphabet=string.digits, min_size=places, max_size=places))
    return (f"{whole}.{fraction}" if places else str(whole)), currency


@st.composite
def amount_texts(draw: st.DrawFn) -> tuple[str, str]:
    """Any text the contract accepts: leading zeros, "5.", ".5", fewer decimals, padding."""
    currency = draw(currencies)
    whole = draw(st.text(alphabet=string.digits, max_size=MAX_WHOLE_DIGITS))
    fraction = draw(st.text(alphabet=string.digits, max_size=exponent(currency)))
    dot = "." if fraction or draw(st.booleans()) else ""
    assume(whole or fraction)
    return draw(padding) + whole + dot + fraction + draw(padding), currency


@st.composite
def spoiled_amounts(draw: st.DrawFn) -> tuple[str, str]:
    """A valid amount with one thing wrong put somewhere inside it."""
    text, currency = draw(amount_texts())
    core = text.strip()
    spoiler = draw(
        st.one_of(
            st.sampled_from([",", "+", "-", "e", "E", "e3", "E-2", " ", "_", "\t", "..", "'"]),
            foreign_digits,
            st.text(alphabet=st.characters(categories=["Zs"]), min_size=1, max_size=2),
        )
    )
    at = draw(st.integers(0, len(core)))
    spoiled = core[:at] + spoiler + core[at:]
    assume(spoiled.strip() == spoiled)  # a spoiler at either end could just be padding
    return spoiled, currency


@given(canonical_amounts())
def test_a_canonical_amount_survives_parse_then_format(case):
    text, currency = case
    assert format_minor_units(to_minor_units(text, currency), currency) == text


@given(st.integers(0, MAX_AMOUNT), currencies)
@example(0, "USD")
@example(MAX_AMOUNT, "JPY")
def test_minor_units_survive_format_then_parse(amount, currency):
    assert to_minor_units(format_minor_units(amount, currency), currency) == amount


@given(amount_texts())
@example(("007.5", "USD"))
@example(("5.", "USD"))
@example((".5", "EUR"))
@example(("  12.50\n", "GBP"))
@example(("5.", "JPY"))
def test_whatever_is_accepted_is_exactly_the_decimal_it_spells(case):
    text, currency = case
    assert to_minor_units(text, currency) == exact_minor_units(text, currency)


@given(spoiled_amounts())
@example(("1,50", "USD"))
@example(("-5", "USD"))
@example(("+5", "USD"))
@example(("1e3", "USD"))
@example(("1 000", "USD"))
@example(("1_000", "USD"))
@example(("١٢", "USD"))
@example(("१.५", "EUR"))
def test_a_spoiled_amount_is_refused(case):
    text, currency = case
    with pytest.raises(ValueError):
        to_minor_units(text, currency)


@given(currencies, st.integers(1, 4), st.data())
def test_more_decimals_than_the_currency_has_are_refused(currency, extra, data):
    whole = data.draw(st.text(alphabet=string.digits, min_size=1, max_size=5))
    places = exponent(currency) + extra
    fraction = data.draw(st.text(alphabet=string.digits, min_size=places, max_size=places))
    with pytest.raises(ValueError):
        to_minor_units(f"{whole}.{fraction}", currency)


@given(st.text(alphabet=foreign_digits, min_size=1, max_size=6), currencies)
def test_digits_of_other_scripts_are_refused_though_python_reads_them(text, currency):
    assert Decimal(text) >= 0  # Python itself would take these for a number
    with pytest.raises(ValueError):
        to_minor_units(text, currency)


@pytest.mark.parametrize(
    "text",
    ["NaN", "nan", "sNaN", "inf", "-inf", "Infinity", "", "   ", ".", " . ", "0x10", "½", "²"],
)
def test_words_and_symbols_that_python_might_read_are_refused(text):
    for currency in SUPPORTED_CURRENCIES:
        with pytest.raises(ValueError):
            to_minor_units(text, currency)


@given(st.integers(MAX_WHOLE_DIGITS + 1, MAX_WHOLE_DIGITS + 40), currencies)
def test_more_whole_digits_than_any_amount_has_are_refused(length, currency):
    with pytest.raises(ValueError):
        to_minor_units("9" * length, currency)


text_near_amounts = st.text(
    alphabet=st.one_of(
        st.sampled_from(string.digits + ".,+-eE _"), foreign_digits, st.sampled_from(" \t\u3000")
    ),
    max_size=12,
)


@given(st.one_of(text_near_amounts, st.text(max_size=12)), currencies)
@example("0", "USD")
@example("00.00", "USD")
def test_the_parser_accepts_exactly_what_the_contract_describes(text, currency):
    if is_amount_text(text, currency):
        assert to_minor_units(text, currency) == exact_minor_units(text, currency)
    else:
        with pytest.raises(ValueError):
            to_minor_units(text, currency)
