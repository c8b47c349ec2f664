"""Sign-in, sign-out and manager approvals: /api/v1/auth/…"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import logout
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from opentill.common.schemas import problems
from opentill.identity.approvals import approval_issue
from opentill.identity.auth import bearer_token
from opentill.identity.models import Approval
from opentill.identity.roles import roles_of
from opentill.identity.services import token_issue, token_revoke

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


class ApprovalIn(Schema):
    username: str = Field(max_length=150, description="the approving manager")
    password: str | None = Field(None, max_length=1024, description="the manager's password…")
    pin: str | None = Field(None, pattern=r"^[0-9]{4,8}$", description="…or PIN (4 to 8 digits)")
    action: Approval.Action
    session: int = Field(ge=1, le=2**63 - 1, description="the session the action is for")


class ApprovalOut(Schema):
    approval: str = Field(description="send it back in the X-OpenTill-Approval header")
    expires_at: datetime
    action: str
    session: int
    approver: str


def user_out(user) -> dict:
    return {"id": user.pk, "username": user.get_username(), "roles": roles_of(user)}


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or ""


@router.post(
    "/auth/token",
    response={200: TokenOut, **problems(400, 401, 413, 422, 429, public=True)},
    auth=None,
)
def auth_token(request: HttpRequest, credentials: Credentials) -> dict:
    """Sign in; 401 on wrong credentials, 429 `too_many_attempts` (with `Retry-After`) after
    too many."""
    token, user = token_issue(
        username=credentials.username,
        password=credentials.password,
        address=client_address(request),
    )
    return {"token": token, "user": user_out(user)}


@router.post("/auth/logout", response={204: None, **problems()})
def auth_logout(request: HttpRequest) -> Status[None]:
    """Sign out: the bearer token used is revoked (a browser session is ended)."""
    token = bearer_token(request)
    if token:
        token_revoke(token=token)
    else:
        logout(request)
    return Status(204, None)


@router.get("/auth/me", response={200: UserOut, **problems()})
def auth_me(request: HttpRequest) -> dict:
    return user_out(request.user)


@router.post("/auth/approvals", response={201: ApprovalOut, **problems(400, 403, 413, 422, 429)})
def auth_approval(request: HttpRequest, body: ApprovalIn) -> Status[dict]:
    """A manager approves one action on one session from the cashier's screen (password or
    PIN); the approval is single use and short-lived. 403 when the credentials are wrong or
    the user is not a manager; 429 `too_many_attempts` after too many wrong ones."""
    token, approval = approval_issue(
        requested_by=request.user,
        username=body.username,
        password=body.password,
        pin=body.pin,
        action=body.action,
        session_id=body.session,
        address=client_address(request),
    )
    return Status(
        201,
        {
            "approval": token,
            "expires_at": approval.expires_at,
            "action": approval.action,
            "session": approval.session_id,
            "approver": approval.approver.get_username(),
        },
    )
