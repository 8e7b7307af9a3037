"""Single-use links mailed to a member (`/verify-email/<token>`, `/reset-password/<token>`).

A link's token is 256 random bits (`secrets.token_urlsafe(32)`); only its SHA-256 digest is
stored, so a leaked table opens nothing, and a token is found by its digest (no comparison
of secrets that could leak through timing). A link works once, until it expires, and only
while it is the newest of its purpose for the member: issuing one voids the others. Every
way a link can fail (unknown, used, expired, void, of the other purpose) answers the same.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from webapp.core.errors import ValidationError
from webapp.core.tokens import hash_token
from webapp.models import LinkToken
from webapp.models.base import utcnow
from webapp.models.security import PURPOSE_RESET_PASSWORD, PURPOSE_VERIFY_EMAIL
from webapp.services.mail import public_link
from webapp.services.unit_of_work import UnitOfWork

TOKEN_BYTES = 32  # 256 bits
# The site's paths the links open; logs show these routes, never the token in them.
LINK_PATHS = {
    PURPOSE_VERIFY_EMAIL: "/verify-email/{token}",
    PURPOSE_RESET_PASSWORD: "/reset-password/{token}",
}
DEAD_LINK = "This link is invalid, expired or already used. Ask for a new one."


def dead_link() -> ValidationError:
    """The one answer for every link that does not work (no oracle between the reasons)."""
    return ValidationError(DEAD_LINK, details={"token": DEAD_LINK})


@dataclass(frozen=True)
class MailQueued:
    """What a request that queues a mail answers (the same whether a mail was queued)."""

    message: str


@dataclass(frozen=True)
class DrawnToken:
    """A token drawn before the transaction (so every path draws one), and its digest."""

    token: str
    digest: str

    @classmethod
    def draw(cls) -> DrawnToken:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        return cls(token=token, digest=hash_token(token))


def issue_link(
    uow: UnitOfWork, user_id: int, purpose: str, ttl_seconds: int, drawn: DrawnToken | None = None
) -> str:
    """Store a new link for the member (voiding their older ones of this purpose); returns
    its absolute address, for the mail only."""
    drawn = drawn or DrawnToken.draw()
    now = utcnow()
    uow.link_tokens.void_open(user_id, purpose, now)
    uow.link_tokens.create(
        user_id=user_id,
        purpose=purpose,
        token_hash=drawn.digest,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    return public_link(LINK_PATHS[purpose].format(token=drawn.token))


def is_live(link: LinkToken | None, purpose: str) -> bool:
    return (
        link is not None
        and link.purpose == purpose
        and link.used_at is None
        and link.voided_at is None
        and link.expires_at > utcnow()
    )


def consume_link(uow: UnitOfWork, token: str, purpose: str) -> LinkToken:
    """Spend a live link (locked, marked used in this transaction); the dead-link 422
    otherwise."""
    link = uow.link_tokens.find_by_hash_for_update(hash_token(token))
    if not is_live(link, purpose):
        raise dead_link()
    assert link is not None
    link.used_at = utcnow()
    return link


def link_works(token: str, purpose: str) -> bool:
    """Whether a link would work now, without spending it (a page shown for a GET)."""
    with UnitOfWork() as uow:
        return is_live(uow.link_tokens.find_by_hash(hash_token(token)), purpose)
