"""API authentication: bearer tokens for terminals and scripts, the session cookie (with
CSRF) for browser pages. A request that carries an ``Authorization`` header is judged by
it alone: a bad token is 401 whatever the method, never handed on to the cookie check (whose
CSRF refusal, a 403, a terminal would take as final)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from opentill.identity.services import token_user

APPROVAL_HEADER = "X-OpenTill-Approval"
INVALID_TOKEN = (
    "The token is not valid (expired, revoked or unknown); sign in again (POST /api/v1/auth/token)."
)
NO_CREDENTIALS = "Send 'Authorization: Bearer <token>' (POST /api/v1/auth/token)."

_UNRESOLVED = object()


def bearer_token(request: HttpRequest) -> str | None:
    """The token of the ``Authorization: Bearer`` header; "" when the header holds anything
    else; None without the header."""
    value = request.headers.get("Authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def bearer_user(request: HttpRequest) -> Any | None:
    """The user of the request's valid bearer token, else None (looked up once per request)."""
    cached = getattr(request, "_opentill_bearer_user", _UNRESOLVED)
    if cached is _UNRESOLVED:
        token = bearer_token(request)
        cached = token_user(token=token) if token else None
        request._opentill_bearer_user = cached  # type: ignore[attr-defined]
    return cached


def approval_header(request: HttpRequest) -> str | None:
    """The manager's approval a request carries (``X-OpenTill-Approval``), if any."""
    value = request.headers.get(APPROVAL_HEADER, "").strip()
    return value or None


class BearerAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any | None:
        if bearer_token(request) is None:
            return None  # no Authorization header: the session cookie may authenticate
        user = bearer_user(request)
        if user is None:
            raise AuthenticationError()
        request.user = user
        return user

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        return token_user(token=token)


class CookieAuth(SessionAuth):
    """Django's session cookie; the CSRF check runs only for a signed-in session, so a
    request with no credentials at all is 401, not a CSRF 403."""

    def __call__(self, request: HttpRequest) -> Any | None:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


API_AUTH = [BearerAuth(), CookieAuth()]
