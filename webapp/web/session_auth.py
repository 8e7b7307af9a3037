"""Browser sessions: how flask-login finds the user behind a session cookie."""

from __future__ import annotations

from webapp.extensions import login_manager
from webapp.models import User
from webapp.services.users import UserService


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return UserService().find_active(int(user_id))
