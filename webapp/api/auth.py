"""/api/v1/auth: registration (login, refresh and logout arrive with authentication)."""

from __future__ import annotations

from flask import Response
from spectree import Response as SpecResponse

from webapp.api import bp
from webapp.api.envelope import api_success
from webapp.api.schemas import UserCreate, UserPublic
from webapp.api.validation import spec
from webapp.services.users import UserService


@bp.post("/auth/register")
@spec.validate(json=UserCreate, resp=SpecResponse(HTTP_201=None), tags=["auth"])
def register(json: UserCreate) -> Response:
    user = UserService().register(email=json.email, password=json.password, name=json.name)
    return api_success(UserPublic.model_validate(user), 201)
