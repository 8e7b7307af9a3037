"""Password reset through a mailed link, for a member who forgot their password.

Asking answers the same whether or not the email belongs to anyone, and takes about the
same time: both paths check the address, draw and hash a token, look the member up, void
older links, render the mail and write one transaction with a
`user.password_reset_requested` event; only a known, active member also gets a link (30
minutes, single use) and a mail, sent after the commit, off the request; and every answer
waits until ANSWER_FLOOR_SECONDS have passed since the request began. Spending the link
sets the password with the registration's rule, ends every session and personal access
token of the member, voids their other links and mails them (`user.password_reset`). No
token goes into an event, a log line or an error.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app

from webapp.core.errors import ValidationError
from webapp.models.base import utcnow
from webapp.models.security import PURPOSE_RESET_PASSWORD
from webapp.services.access_tokens import revoke_all_personal_tokens
from webapp.services.auth import claimed_email_subject
from webapp.services.events import DomainEvent, subject
from webapp.services.mail import public_link, queue_mail, render_mail
from webapp.services.mailed_links import (
    LINK_PATHS,
    DrawnToken,
    MailQueued,
    consume_link,
    dead_link,
    issue_link,
    link_works,
)
from webapp.services.unit_of_work import UnitOfWork, transaction
from webapp.services.user_rows import load_user
from webapp.services.users.passwords import set_password
from webapp.services.users.rules import checked_email, password_problem

RESET_REQUESTED = (
    "If an account uses that email address, we sent it a link to choose a new password. "
    "The link works once, for a short while."
)
NOT_SENT_UNKNOWN = "unknown_email"
NO_USER = 0  # no user has this id
# Every request is answered after at least this long, so that the time tells nothing.
ANSWER_FLOOR_SECONDS = 0.05
NOT_SENT_DISABLED = "disabled"


def reset_mail(name: str, link: str, ttl: int) -> dict[str, Any]:
    return {"kind": "password_reset", "name": name, "link": link, "minutes": max(ttl // 60, 1)}


class PasswordResetService:
    def request_reset(self, email: str, *, ip: str | None = None) -> MailQueued:
        """Mail a reset link to the member with this email, if any (see the module)."""
        started = time.monotonic()
        typed = checked_email(email)  # a malformed address is a 422, whoever asks
        drawn = DrawnToken.draw()
        ttl = current_app.config["PASSWORD_RESET_TTL"]
        data = {"ip": ip} if ip else {}

        def work(uow: UnitOfWork) -> None:
            user = uow.users.find_by_email(typed)
            if user is None or not user.is_active:
                self._decoy(uow, drawn, ttl)
                reason = NOT_SENT_UNKNOWN if user is None else NOT_SENT_DISABLED
                about = claimed_email_subject(typed) if user is None else subject("user", user.id)
                uow.emit(
                    DomainEvent("user.password_reset_requested", about, {**data, "notSent": reason})
                )
                return
            link = issue_link(uow, user.id, PURPOSE_RESET_PASSWORD, ttl, drawn)
            queue_mail(uow, to=user.email, user_id=user.id, **reset_mail(user.name, link, ttl))
            # No actor: asking proves nothing about who asks.
            uow.emit(DomainEvent("user.password_reset_requested", subject("user", user.id), data))

        transaction(work)
        # What differs between the paths (a link and a mail row) is then hidden in the floor.
        time.sleep(max(ANSWER_FLOOR_SECONDS - (time.monotonic() - started), 0))
        return MailQueued(RESET_REQUESTED)

    def reset(self, token: str, new_password: str) -> None:
        """Spend a reset link: the new password (the registration's rule) replaces the old,
        and every session and personal access token of the member ends.

        A link that does not work is one 422 (`details.token`) whatever the reason; a password
        that breaks the rule is a 422 (`details.newPassword`) and leaves the link usable.
        """
        if (problem := password_problem(new_password)) is not None:
            raise ValidationError(details={"new_password": problem})

        def work(uow: UnitOfWork) -> None:
            link = consume_link(uow, token, PURPOSE_RESET_PASSWORD)
            user = load_user(uow, link.user_id, lock=True, missing=dead_link())
            if not user.is_active:
                raise dead_link()
            revoked = revoke_all_personal_tokens(uow, user.id)
            set_password(uow, user, new_password, keep_session_id=None, tokens_revoked=revoked)

        transaction(work)

    def link_works(self, token: str) -> bool:
        """Whether a reset link would still work (asking does not spend it)."""
        return link_works(token, PURPOSE_RESET_PASSWORD)

    @staticmethod
    def _decoy(uow: UnitOfWork, drawn: DrawnToken, ttl: int) -> None:
        """What a known member's request costs, writing nothing: their older links are
        voided (here, of nobody) and their mail is rendered (and dropped)."""
        uow.link_tokens.void_open(NO_USER, PURPOSE_RESET_PASSWORD, utcnow())
        link = public_link(LINK_PATHS[PURPOSE_RESET_PASSWORD].format(token=drawn.token))
        render_mail(**reset_mail("", link, ttl))
