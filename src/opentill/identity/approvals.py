"""Manager approvals: a manager authenticates on the cashier's screen (password or PIN) and
the server issues a short-lived, single-use token bound to one action on one session; the
request that needs the manager carries it (``X-OpenTill-Approval``) and the service that
performs the action consumes it."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from opentill.audit.models import AuditEvent
from opentill.audit.services import audit_record
from opentill.common.problems import Problem
from opentill.identity.models import Approval
from opentill.identity.roles import is_manager
from opentill.identity.services import credentials_user, digest


def approval_issue(
    *,
    requested_by: Any,
    username: str,
    password: str | None = None,
    pin: str | None = None,
    action: str,
    session_id: int,
    address: str = "",
) -> tuple[str, Approval]:
    """Check the manager's credentials (throttled like sign-in) and issue an approval of
    ``action`` on session ``session_id``; return the token (shown once) and its record."""
    if (password is None) == (pin is None):
        raise Problem("validation_error", "Send the manager's password or PIN (one of them).")
    if action not in Approval.Action.values:
        raise Problem(
            "validation_error",
            f"Unknown action {action!r}; use {', '.join(Approval.Action.values)}.",
        )
    approver = credentials_user(username=username, password=password, pin=pin, address=address)
    if approver is None:
        raise Problem("forbidden", "Unknown user or wrong password or PIN.")
    if not is_manager(approver):
        raise Problem("forbidden", f"{approver.get_username()} is not a manager.")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        approval = Approval.objects.create(
            digest=digest(token),
            action=action,
            session_id=session_id,
            approver=approver,
            requested_by=requested_by,
            expires_at=now + timedelta(seconds=settings.OPENTILL_APPROVAL_SECONDS),
        )
        # The session goes into the event's values, not its session link: nothing here
        # checks that the session exists (the POS does when the approval is used).
        audit_record(
            user=approver,
            action=AuditEvent.Action.APPROVAL_ISSUED,
            obj=approval,
            after={
                "action": action,
                "session": session_id,
                "requested_by": requested_by.get_username(),
                "expires_at": approval.expires_at,
            },
            detail=f"{approval.get_action_display()} approved for {requested_by.get_username()}",
        )
    return token, approval


def approval_consume(*, token: str | None, action: str, session_id: int) -> Any:
    """Use the approval ``token`` for ``action`` on session ``session_id`` and return the
    approving manager; 409 ``approval_required`` when it is missing, unknown, expired,
    already used or bound to another action or session. Runs in the caller's transaction:
    if the caller rolls back, the approval stays unused."""
    label = Approval.Action(action).label.lower() if action in Approval.Action.values else action
    if not token:
        raise Problem(
            "approval_required",
            f"A manager's approval is required for this {label}: a manager signs in on this "
            "screen (password or PIN) and the request is sent again with the approval.",
        )
    now = timezone.now()
    approval = Approval.objects.select_related("approver").filter(digest=digest(token)).first()
    if approval is None:
        raise Problem("approval_required", "This approval is not known; ask a manager again.")
    if approval.action != action:
        raise Problem(
            "approval_required",
            f"This approval is for a {approval.get_action_display().lower()}, not a {label}; "
            "ask a manager again.",
        )
    if approval.session_id != session_id:
        raise Problem(
            "approval_required",
            f"This approval is for session {approval.session_id}, not session {session_id}; "
            "ask a manager again.",
        )
    if approval.used_at is not None:
        raise Problem(
            "approval_required", "This approval has already been used; ask a manager again."
        )
    if approval.expires_at <= now:
        raise Problem("approval_required", "This approval has expired; ask a manager again.")
    approver = approval.approver
    if not approver.is_active or not is_manager(approver):
        raise Problem(
            "approval_required",
            f"{approver.get_username()} is no longer an active manager; ask a manager again.",
        )
    with transaction.atomic():
        # Single use even when two requests race: only one UPDATE finds the row unused.
        used = Approval.objects.filter(
            pk=approval.pk, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if used != 1:
            raise Problem(
                "approval_required", "This approval has already been used; ask a manager again."
            )
        approval.used_at = now
        audit_record(
            user=approver,
            action=AuditEvent.Action.APPROVAL_USED,
            obj=approval,
            session_id=session_id,
            after={"action": action, "requested_by": approval.requested_by_id},
            detail=f"{approval.get_action_display()} approved by {approver.get_username()}",
        )
    return approver
