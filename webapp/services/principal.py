"""Who is calling: the value every surface hands to the services.

A module of its own so that whatever needs to name the caller (the services, the API
guard, the page sessions) does not pull in the authentication service to do so.
"""

from __future__ import annotations

from dataclasses import dataclass

from webapp.errors import Forbidden
from webapp.models.user import ROLE_ADMIN
from webapp.services.user_records import UserRecord


@dataclass(frozen=True)
class Principal:
    """The user's cached record and the session the call belongs to."""

    record: UserRecord
    session_id: int

    @property
    def user_id(self) -> int:
        return self.record.id

    def has_role(self, role: str) -> bool:
        return self.record.has_role(role)

    @property
    def is_admin(self) -> bool:
        return self.has_role(ROLE_ADMIN)

    def may_act_for(self, user_id: int | None) -> bool:
        """Whether this caller may see or act on what `user_id` owns: its owner, or an admin."""
        return user_id == self.user_id or self.is_admin

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden()
