"""Email addresses: one normal form for every place that stores, finds or counts one, and
the look-alike rule for new ones.

Registration, login, password reset, a transfer's recipient, the admin search and every
limit keyed by email all go through `normalize_email` (or `email_key`, its never-failing
form for keys), so an address typed with a full-width domain, an ideographic full stop for
its dot, a decomposed accent or its domain in punycode is the same member, and the same
bucket.

Nothing here knows Flask or the database.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

from confusable_homoglyphs import categories, confusables
from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 254  # RFC 5321's path limit, which email-validator applies too
# Scripts no character belongs to alone (digits, punctuation, combining marks).
SHARED_SCRIPTS = frozenset({"COMMON", "INHERITED"})
# Unicode TR39's "highly restrictive" profile: one script, or one of these combinations
# (Japanese, Chinese with Bopomofo, Korean, each with Latin).
SCRIPT_COMBINATIONS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


class InvalidEmail(ValueError):
    """Not an email address; the message says why."""


def normalize_email(text: str) -> str:
    """The stored form: syntax-checked, the domain IDNA-normalized (width, dots, punycode),
    the local part NFC, all lowercased. InvalidEmail when it is no address."""
    address = text.strip()
    if len(address) > MAX_EMAIL_LENGTH:
        raise InvalidEmail(f"An email address is at most {MAX_EMAIL_LENGTH} characters long.")
    return _normalized(address)


@lru_cache(maxsize=4096)  # a login is normalized for its limit's key and for its lookup
def _normalized(address: str) -> str:
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc
    return checked.normalized.lower()


def email_key(text: str) -> str:
    """The normal form, or for text that is no address, the text stripped, NFKC and
    lowercased: what a lookup or a limit's bucket is keyed by, without ever refusing."""
    try:
        return normalize_email(text)
    except InvalidEmail:
        return unicodedata.normalize("NFKC", text.strip()).lower()


def mixes_scripts(address: str) -> bool:
    """Whether the local part or the domain mixes writing systems beyond TR39's highly
    restrictive profile (`alice` typed with a Cyrillic `a` does; a Japanese name
    in kanji and hiragana does not)."""
    return any(_part_mixes_scripts(part) for part in address.rsplit("@", 1))


def _part_mixes_scripts(part: str) -> bool:
    scripts = categories.unique_aliases(part) - SHARED_SCRIPTS
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in SCRIPT_COMBINATIONS)


def skeleton(text: str) -> str:
    """Unicode TR39's confusable skeleton: two strings that look alike have the same one."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(prototypes.get(c, c) for c in decomposed))


def look_alike(address: str, other: str) -> bool:
    """Two different addresses a reader could take for one another. Two plain-ASCII
    addresses never count (`modern@` and `modem@` are two people, not an attack)."""
    return (
        address != other
        and not (address.isascii() and other.isascii())
        and skeleton(address) == skeleton(other)
    )


@cache
def _prototypes() -> dict[str, str]:
    """Each confusable character's prototype, from the confusables table that
    confusable_homoglyphs ships (Unicode's confusables.txt, stored both ways round).

    In that table every source is one character mapped to one prototype, and no prototype
    is a source, so each group is a star: a prototype linked to all its sources. A
    character with several links, or linked to a sequence, is the prototype of its group;
    a pair linked only to each other gets its smaller member, the same for both.
    """
    links = confusables.confusables_data
    prototypes: dict[str, str] = {}
    for char, entries in links.items():
        if len(char) != 1 or len(entries) != 1:
            continue  # a sequence, or a prototype with several sources: maps to itself
        other = entries[0]["c"]
        if len(other) > 1 or len(links.get(other, ())) > 1:
            prototypes[char] = other
        else:
            prototypes[char] = min(char, other)
    return prototypes
