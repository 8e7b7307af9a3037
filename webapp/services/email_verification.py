"""Email verification: a mailed link proves the member reads the address they gave.

Registration mails the first link (`send_verification_link`, in its transaction); the
member may ask for a new one, which voids the older ones. Nothing waits for it unless
REQUIRE_VERIFIED_EMAIL is on: then transfers and orders refuse an unverified member
(`require_verified_email`, called by the services that move their money).
"""

from __future__ import annotations

from flask import current_app

from webapp.core.errors import Conflict, EmailNotVerified
from webapp.models import User
from webapp.models.base import utcnow
from webapp.models.security import PURPOSE_VERIFY_EMAIL
from webapp.services.events import DomainEvent, subject
from webapp.services.mail import queue_mail
from webapp.services.mailed_links import MailQueued, consume_link, issue_link, link_works
from webapp.services.principal import Principal
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.user_rows import load_user

ALREADY_VERIFIED = "Your email address is already verified."
LINK_SENT = "We sent a new link to your email address. Links sent before it no longer work."


def require_verified_email(principal: Principal) -> None:
    """403 EMAIL_NOT_VERIFIED for an unverified member when REQUIRE_VERIFIED_EMAIL is on
    (read from the cached user record: no SQL)."""
    if current_app.config["REQUIRE_VERIFIED_EMAIL"] and not principal.record.email_verified:
        raise EmailNotVerified()


def send_verification_link(uow: UnitOfWork, user: User) -> None:
    """Queue a verification mail with a new link (older ones stop working), in `uow`."""
    ttl = current_app.config["EMAIL_VERIFICATION_TTL"]
    link = issue_link(uow, user.id, PURPOSE_VERIFY_EMAIL, ttl)
    queue_mail(
        uow,
        kind="verify_email",
        to=user.email,
        user_id=user.id,
        name=user.name,
        email=user.email,
        link=link,
        hours=max(ttl // 3600, 1),
    )


class EmailVerificationService:
    def resend(self, principal: Principal) -> MailQueued:
        """Mail the caller a new link (409 when their address is already verified)."""

        def work(uow: UnitOfWork) -> None:
            user = load_user(uow, principal.user_id, lock=True)
            if user.email_verified:
                raise Conflict(ALREADY_VERIFIED)
            send_verification_link(uow, user)

        transaction(work)
        return MailQueued(LINK_SENT)

    def verify(self, token: str) -> None:
        """Spend a verification link: its member's address is verified (`user.email_verified`).

        A link that does not work (unknown, used, expired, replaced by a newer one) is one
        422 whatever the reason.
        """

        def work(uow: UnitOfWork) -> None:
            link = consume_link(uow, token, PURPOSE_VERIFY_EMAIL)
            user = load_user(uow, link.user_id, lock=True)
            if user.email_verified_at is None:
                user.email_verified_at = utcnow()
                uow.emit(
                    DomainEvent("user.email_verified", subject("user", user.id), actor_id=user.id)
                )

        transaction(work)

    def link_works(self, token: str) -> bool:
        """Whether a verification link would still work (it is not spent by asking)."""
        return link_works(token, PURPOSE_VERIFY_EMAIL)
