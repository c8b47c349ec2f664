"""API authentication: bearer tokens for terminals and scripts, the session cookie (with
CSRF) for browser pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from opentill.identity.services import token_user


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = token_user(token=token)
        if user is not None:
            request.user = user
        return user


API_AUTH = [BearerAuth(), django_auth]
