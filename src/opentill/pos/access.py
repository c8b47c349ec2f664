"""Who may use a profile and act on a session: the one home of these rules, which every
service, API endpoint and back-office page calls.

The access policy has three homes, one per layer: the roles (``identity.roles``: who is a
cashier, manager or accountant, and ``may_see_reports``), the stores a user sees
(``stores.access.visible_store_ids``, ``store_scoped``) and this module (a store's managers,
a profile's users, a session's actors and readers, and the privileged session actions).

Validating a closing and force-closing need both a manager of the session's store and the
Django permission (``pos.validate_closing``, ``pos.force_close``): managers hold them
through their group (``identity.roles``), superusers hold every permission; a manager whose
group lost one is refused (``forbidden``).
"""

from __future__ import annotations

from typing import Any

from opentill.common.problems import Problem
from opentill.identity.approvals import approval_consume
from opentill.identity.roles import is_accountant, is_cashier, is_manager
from opentill.pos.models import PosProfile, Session
from opentill.pos.signals import difference_approved
from opentill.stores.access import managed_store_ids

#: The permissions of the privileged session actions (pos.models.Session.Meta).
VALIDATE_CLOSING = "pos.validate_closing"
FORCE_CLOSE = "pos.force_close"


def manages_store(user: Any, store_id: int) -> bool:
    if not is_manager(user):
        return False
    if user.is_superuser:
        return True
    stores = managed_store_ids(user)
    return stores is None or store_id in stores


def profile_may_use(profile: PosProfile, user: Any) -> bool:
    """Managers use every till of their stores; cashiers those that list them, or every till
    that lists nobody."""
    if manages_store(user, profile.store_id):
        return True
    if not is_cashier(user):
        return False
    allowed = [u.pk for u in profile.allowed_users.all()]
    return not allowed or user.pk in allowed


def profile_check_access(profile: PosProfile, user: Any) -> None:
    if not profile_may_use(profile, user):
        raise Problem("forbidden", f"You may not use the profile {profile.name!r}.")


def session_may_act(session: Session, user: Any) -> bool:
    return session.user_id == user.pk or manages_store(user, session.profile.store_id)


def session_may_manage(session: Session, user: Any, permission: str | None = None) -> bool:
    """A manager of the session's store, holding ``permission`` when one is named."""
    if not manages_store(user, session.profile.store_id):
        return False
    return permission is None or bool(user.has_perm(permission))


def session_may_validate(session: Session, user: Any) -> bool:
    return session_may_manage(session, user, VALIDATE_CLOSING)


def session_may_force_close(session: Session, user: Any) -> bool:
    return session_may_manage(session, user, FORCE_CLOSE)


def session_may_read(session: Session, user: Any) -> bool:
    """Its cashier, the managers of its store and accountants read a session."""
    return session_may_act(session, user) or is_accountant(user)


def blind_for(session: Session, user: Any) -> bool:
    """Blind close hides what the drawer should hold from the cashier until the session is
    closed: expected amounts and the payment totals they follow from."""
    return (
        session.profile.blind_close
        and session.state != Session.State.CLOSED
        and not manages_store(user, session.profile.store_id)
    )


def session_check_actor(session: Session, user: Any) -> None:
    """Only the session's user, or a manager of its store, may sell, move cash or close."""
    if not session_may_act(session, user):
        raise Problem(
            "not_session_owner",
            f"Session {session.name} belongs to {session.user.get_username()}; only they or a manager may act on it.",
        )


def session_check_manager(
    session: Session, user: Any, *, action: str, permission: str | None = None
) -> None:
    """Privileged session actions (validate a closing, force-close): managers of its store
    holding ``permission`` (``VALIDATE_CLOSING``, ``FORCE_CLOSE``)."""
    if not manages_store(user, session.profile.store_id):
        raise Problem("forbidden", f"Only a manager of {session.profile.store.name} may {action}.")
    if not session_may_manage(session, user, permission):
        raise Problem(
            "forbidden",
            f"{user.get_username()} may not {action}: the permission {permission} is missing.",
            extra={"permission": permission},
        )


def approval_check(session: Session, *, token: str | None, action: str, why: str) -> Any:
    """The manager who approved ``action`` on ``session`` with the approval ``token``.

    The approval is consumed (single use, inside the caller's transaction: it stays
    unused if the caller's work is rolled back). Its approver must be a manager allowed to
    act on the session; otherwise, or without a valid approval, ``approval_required``.
    """
    extra = {"action": action, "session": session.pk}
    if not token:
        raise Problem(
            "approval_required",
            f"{why}: a manager's approval is required (header X-OpenTill-Approval).",
            extra=extra,
        )
    try:
        approver = approval_consume(token=token, action=action, session_id=session.pk)
    except Problem as exc:
        raise Problem(exc.code, f"{why}: {exc.detail}", extra={**exc.extra, **extra}) from None
    if not manages_store(approver, session.profile.store_id):
        raise Problem(
            "approval_required",
            f"{why}: {approver.get_username()} is not a manager of {session.profile.store.name}.",
            extra=extra,
        )
    difference_approved.send(
        sender=Session, session=session, action=action, approver=approver, why=why
    )
    return approver


def session_check_state(session: Session, *states: str, action: str) -> None:
    if session.state not in states:
        raise Problem(
            "invalid_state",
            f"Cannot {action}: session {session.name} is {session.state}.",
            extra={"state": session.state},
        )
