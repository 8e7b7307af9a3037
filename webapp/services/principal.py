"""Who is calling: the value every surface hands to the services.

A module of its own so that whatever needs to name the caller (the services, the API
guard, the page sessions) does not pull in the authentication service to do so.
"""

from __future__ import annotations

from dataclasses import dataclass

from webapp.core.errors import Forbidden, InsufficientScope
from webapp.models.security import SCOPE_WRITE
from webapp.models.user import ROLE_ADMIN
from webapp.services.user_records import UserRecord

OPERATOR_SESSION = 0  # command-line work acts without a login session


@dataclass(frozen=True)
class Principal:
    """The user's cached record and the session the call belongs to.

    A call made with a personal access token has no session (`session_id` 0) but the
    token's id and scopes: it never holds the admin role's powers, and may not manage
    credentials (tokens, the password, the second factor).
    """

    record: UserRecord
    session_id: int
    token_id: int | None = None
    scopes: frozenset[str] | None = None  # None: a login session, which may do everything

    @property
    def user_id(self) -> int:
        return self.record.id

    def has_role(self, role: str) -> bool:
        if self.token_id is not None and role == ROLE_ADMIN:
            return False
        return self.record.has_role(role)

    @property
    def via_personal_token(self) -> bool:
        return self.token_id is not None

    @property
    def is_operator(self) -> bool:
        """Work run from the command line as this user (`flask …`): whoever runs it on the
        servers is trusted without a login."""
        return self.session_id == OPERATOR_SESSION and not self.via_personal_token

    def may_write(self) -> bool:
        return self.scopes is None or SCOPE_WRITE in self.scopes

    def require_login_session(self) -> None:
        """Refuse what only a logged-in member may do: tokens, password, second factor."""
        if self.via_personal_token:
            raise InsufficientScope("A personal access token cannot do this; log in instead.")

    @property
    def is_admin(self) -> bool:
        return self.has_role(ROLE_ADMIN)

    def may_act_for(self, user_id: int | None) -> bool:
        """Whether this caller may see or act on what `user_id` owns: its owner, or an admin."""
        return user_id == self.user_id or self.is_admin

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden()
