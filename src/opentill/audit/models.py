"""The append-only audit trail of privileged and money-moving actions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AppendOnlyError(RuntimeError):
    """The audit trail is never changed or deleted."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        SESSION_CREATED = "session_created", "Session created"
        SESSION_OPENED = "session_opened", "Session opened (opening count)"
        SESSION_COUNTED = "session_counted", "Session counted (partial close)"
        SESSION_CLOSING_CONTROL = "session_closing_control", "Closing waits for a manager"
        SESSION_CLOSED = "session_closed", "Session closed"
        SESSION_VALIDATED = "session_validated", "Closing validated"
        SESSION_FORCE_CLOSED = "session_force_closed", "Session force-closed"
        ORDER_VOIDED = "order_voided", "Order voided"
        ORDERS_RESCUED = "orders_rescued", "Orders rescued"
        CASH_MOVED = "cash_moved", "Cash moved"
        CONFIG_CHANGED = "config_changed", "Configuration changed"
        CONFIG_DELETED = "config_deleted", "Configuration deleted"
        ORDER_HELD = "order_held", "Order held for a manager"
        HELD_ORDER_ACCEPTED = "held_order_accepted", "Held order accepted"
        HELD_ORDER_VOIDED = "held_order_voided", "Held order voided"
        APPROVAL_ISSUED = "approval_issued", "Manager approval issued"
        APPROVAL_USED = "approval_used", "Manager approval used"
        TOKENS_REVOKED = "tokens_revoked", "API tokens revoked"
        LOGIN_THROTTLED = "login_throttled", "Login throttled"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    session = models.ForeignKey(
        "pos.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.TextField(blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.user} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")
