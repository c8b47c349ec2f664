"""API tokens, manager PINs, approvals and sign-in throttling; users and roles are Django's
users and groups."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 digest is stored. Revoking a token deletes its row."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"token of {self.user} until {self.expires_at:%Y-%m-%d %H:%M}"


class UserPin(models.Model):
    """A user's PIN (4 to 8 digits), typed on a cashier's screen to approve an action; stored
    hashed like a password."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pin"
    )
    pin_hash = models.CharField(max_length=128)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "PIN"
        verbose_name_plural = "PINs"

    def __str__(self) -> str:
        return f"PIN of {self.user}"


class Approval(models.Model):
    """A manager's approval of one action on one session: short-lived and single use. Only
    the SHA-256 digest of the token handed to the terminal is stored."""

    class Action(models.TextChoices):
        OPENING_DIFFERENCE = "opening_difference", "Opening difference"
        CLOSING_DIFFERENCE = "closing_difference", "Closing difference"
        PRICE_OVERRIDE = "price_override", "Price override"
        REFUND = "refund", "Refund"
        DRAWER_LIMIT = "drawer_limit", "Drawer limit"
        HELD_ORDER = "held_order", "Held order"

    digest = models.CharField(max_length=64, unique=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    # A plain number, not a foreign key: identity knows nothing of the POS context (which
    # depends on identity); the POS checks the session when it consumes the approval.
    session_id = models.BigIntegerField()
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals_given"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals_requested"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on session {self.session_id} by {self.approver}"


class LoginThrottle(models.Model):
    """Failed sign-ins for one key (a username or a client address), shared by every server
    worker: too many within the window lock the key for a while."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key
