"""POST /api/v1/auth/token."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from opentill.identity.roles import roles_of
from opentill.identity.services import token_issue

router = Router(tags=["auth"])


class Credentials(Schema):
    username: str
    password: str


class UserOut(Schema):
    id: int
    username: str
    roles: list[str]


class TokenOut(Schema):
    token: str
    user: UserOut


def user_out(user) -> dict:
    return {"id": user.pk, "username": user.get_username(), "roles": roles_of(user)}


@router.post("/auth/token", response=TokenOut, auth=None)
def auth_token(request: HttpRequest, credentials: Credentials) -> dict:
    token, user = token_issue(username=credentials.username, password=credentials.password)
    return {"token": token, "user": user_out(user)}


@router.get("/auth/me", response=UserOut)
def auth_me(request: HttpRequest) -> dict:
    return user_out(request.user)
