"""Token issue and lookup."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from opentill.common.problems import Problem
from opentill.identity.models import ApiToken
from opentill.identity.roles import ROLES


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_issue(*, username: str, password: str) -> tuple[str, Any]:
    """Check the credentials and return a new bearer token with its user."""
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise Problem("unauthorized", "Unknown user or wrong password.")
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        digest=_digest(token),
        user=user,
        expires_at=timezone.now() + timedelta(hours=settings.OPENTILL_TOKEN_HOURS),
    )
    return token, user


def token_user(*, token: str) -> Any | None:
    """The active user a valid, unexpired token belongs to."""
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(token), expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
    return row.user if row else None


def user_create(
    *, username: str, password: str, roles: list[str], email: str = "", superuser: bool = False
) -> Any:
    """Create (or update) a user with the given roles; staff so managers and accountants
    can reach the back office."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise Problem(
            "validation_error",
            f"Unknown roles: {', '.join(sorted(unknown))}; use {', '.join(ROLES)}.",
        )
    User = get_user_model()
    with transaction.atomic():
        user, _ = User.objects.get_or_create(username=username, defaults={"email": email})
        user.set_password(password)
        user.is_staff = superuser or bool({"manager", "accountant"} & set(roles))
        user.is_superuser = superuser
        if email:
            user.email = email
        user.save()
        user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    return user
