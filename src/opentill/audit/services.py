"""Recording audit events (inside the caller's transaction, so an action that rolls back
leaves no trace and one that commits always has its record)."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.db import models

from opentill.audit.models import AuditEvent


def _plain(value: Any) -> Any:
    """JSON-safe value: money and quantities as strings, times in ISO 8601."""
    if isinstance(value, decimal.Decimal):
        return f"{value:f}"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


# Fields holding secrets (password and PIN hashes, token digests): the trail says whether one
# is set, never its value, since managers read the trail.
SECRET_FIELDS = frozenset({"password", "pin_hash", "digest"})


def model_values(obj: models.Model) -> dict[str, Any]:
    """The concrete field values of ``obj`` (foreign keys as ids), JSON-safe; secrets hidden."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if field.attname in SECRET_FIELDS:
            values[field.attname] = "(hidden)" if value else ""
        else:
            values[field.attname] = _plain(value)
    return values


def audit_record(
    *,
    user: Any,
    action: str,
    obj: models.Model | None = None,
    session_id: int | None = None,
    before: Any = None,
    after: Any = None,
    detail: str = "",
) -> AuditEvent:
    """Append one event: who, when, what, the values before and after."""
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        user_id=user_id,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        session_id=session_id,
        before=_plain(before),
        after=_plain(after),
        detail=detail,
    )
