"""Tokens, credentials, PINs and sign-in throttling."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from opentill.audit.models import AuditEvent
from opentill.audit.services import audit_record
from opentill.common.problems import Problem
from opentill.identity.models import ApiToken, LoginThrottle, UserPin
from opentill.identity.roles import ROLES

PIN_PATTERN = re.compile(r"\d{4,8}")


def digest(secret: str) -> str:
    """The SHA-256 hex digest under which a token or approval is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def token_issue(*, username: str, password: str, address: str = "") -> tuple[str, Any]:
    """Check the credentials (throttled) and return a new bearer token with its user."""
    user = credentials_user(username=username, password=password, address=address)
    if user is None:
        raise Problem("unauthorized", "Unknown user or wrong password.")
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        digest=digest(token),
        user=user,
        expires_at=timezone.now() + timedelta(hours=settings.OPENTILL_TOKEN_HOURS),
    )
    return token, user


def token_user(*, token: str) -> Any | None:
    """The active user a valid, unexpired, unrevoked token belongs to."""
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest(token), expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
    return row.user if row else None


def token_revoke(*, token: str) -> bool:
    """Revoke one token (sign out); False when it was not (or no longer) valid."""
    deleted, _ = ApiToken.objects.filter(digest=digest(token)).delete()
    return deleted > 0


def tokens_revoke(*, user: Any, reason: str) -> int:
    """Revoke every token of ``user`` (password changed, user deactivated); audited."""
    with transaction.atomic():
        deleted, _ = ApiToken.objects.filter(user=user).delete()
        if deleted:
            audit_record(
                user=None,
                action=AuditEvent.Action.TOKENS_REVOKED,
                obj=user,
                after={"tokens": deleted},
                detail=f"{reason}: {deleted} API token(s) of {user.get_username()} revoked",
            )
    return deleted


# --- credentials and throttling -------------------------------------------------------------


def _throttle_keys(username: str, address: str) -> list[tuple[str, int]]:
    """(key, failures allowed) pairs a sign-in attempt counts against."""
    keys = [(f"user:{username.casefold()[:150]}", settings.OPENTILL_LOGIN_MAX_FAILURES)]
    per_address = settings.OPENTILL_LOGIN_MAX_FAILURES_PER_ADDRESS
    if address and per_address > 0:
        keys.append((f"addr:{address[:64]}", per_address))
    return keys


def _too_many_attempts(until: datetime, now: datetime) -> Problem:
    wait = max(1, math.ceil((until - now).total_seconds()))
    return Problem(
        "too_many_attempts",
        f"Too many wrong passwords or PINs; try again in {wait} seconds.",
        extra={"retry_after": wait},
    )


def login_lock_check(*, username: str, address: str = "") -> None:
    """Raise 429 ``too_many_attempts`` while the username or the address is locked."""
    now = timezone.now()
    keys = [key for key, _ in _throttle_keys(username, address)]
    until = LoginThrottle.objects.filter(key__in=keys, locked_until__gt=now).aggregate(
        until=Max("locked_until")
    )["until"]
    if until is not None:
        raise _too_many_attempts(until, now)


def login_failure_record(*, username: str, address: str = "") -> datetime | None:
    """Count one failed attempt (committed, whatever the caller does next); return the end of
    the lock it starts, if any."""
    now = timezone.now()
    window = timedelta(seconds=settings.OPENTILL_LOGIN_WINDOW_SECONDS)
    lock = timedelta(seconds=settings.OPENTILL_LOGIN_LOCK_SECONDS)
    locked_until: datetime | None = None
    with transaction.atomic():
        # Forget counts whose window and lock are over, so made-up usernames do not pile up.
        LoginThrottle.objects.filter(window_started_at__lte=now - window).exclude(
            locked_until__gt=now
        ).delete()
        for key, allowed in _throttle_keys(username, address):
            row, _ = LoginThrottle.objects.select_for_update().get_or_create(
                key=key, defaults={"window_started_at": now}
            )
            expired_lock = row.locked_until is not None and row.locked_until <= now
            if expired_lock or row.window_started_at <= now - window:
                row.failures, row.window_started_at, row.locked_until = 0, now, None
            row.failures += 1
            if row.failures >= allowed and row.locked_until is None:
                row.locked_until = now + lock
                audit_record(
                    user=None,
                    action=AuditEvent.Action.LOGIN_THROTTLED,
                    obj=row,
                    detail=(
                        f"{row.failures} failed attempts for {key}: locked for "
                        f"{settings.OPENTILL_LOGIN_LOCK_SECONDS} s"
                    ),
                )
            row.save()
            if row.locked_until is not None:
                locked_until = max(locked_until or row.locked_until, row.locked_until)
    return locked_until


def login_success_record(*, username: str) -> None:
    """A correct password or PIN clears the username's failures (not the address's)."""
    key, _ = _throttle_keys(username, "")[0]
    LoginThrottle.objects.filter(key=key).delete()


def _pin_matches(user: Any | None, pin: str) -> bool:
    row = UserPin.objects.filter(user=user).first() if user is not None else None
    if row is None:
        make_password(pin)  # same work as a real check: timing tells nothing
        return False
    return check_password(pin, row.pin_hash)


def credentials_user(
    *, username: str, password: str | None = None, pin: str | None = None, address: str = ""
) -> Any | None:
    """The active user that ``username`` with ``password`` (or ``pin``) proves, else None after
    counting the failure. 429 ``too_many_attempts`` while locked or when this failure locks."""
    login_lock_check(username=username, address=address)
    user: Any | None = None
    if password is not None:
        user = authenticate(username=username, password=password)
    elif pin is not None:
        candidate = get_user_model().objects.filter(username=username, is_active=True).first()
        user = candidate if _pin_matches(candidate, pin) else None
    if user is None or not user.is_active:
        until = login_failure_record(username=username, address=address)
        if until is not None:
            raise _too_many_attempts(until, timezone.now())
        return None
    login_success_record(username=username)
    return user


# --- users and PINs -------------------------------------------------------------------------


def user_pin_set(*, user: Any, pin: str | None) -> None:
    """Set (4 to 8 digits, stored hashed) or, with None, remove the user's PIN."""
    if pin is None:
        UserPin.objects.filter(user=user).delete()
        return
    if not PIN_PATTERN.fullmatch(pin):
        raise Problem("validation_error", "A PIN is 4 to 8 digits.")
    UserPin.objects.update_or_create(user=user, defaults={"pin_hash": make_password(pin)})


def user_create(
    *,
    username: str,
    password: str,
    roles: list[str],
    email: str = "",
    superuser: bool = False,
    pin: str | None = None,
) -> Any:
    """Create (or update) a user with the given roles (and PIN, when given); staff so
    managers and accountants can reach the back office."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise Problem(
            "validation_error",
            f"Unknown roles: {', '.join(sorted(unknown))}; use {', '.join(ROLES)}.",
        )
    if pin is not None and not PIN_PATTERN.fullmatch(pin):
        raise Problem("validation_error", "A PIN is 4 to 8 digits.")
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
        if pin is not None:
            user_pin_set(user=user, pin=pin)
    return user
