"""Who may use a profile and act on a session (enforced by every service)."""

from __future__ import annotations

from typing import Any

from opentill.common.problems import Problem
from opentill.identity.roles import is_cashier, is_manager
from opentill.pos.models import PosProfile, Session


def profile_may_use(profile: PosProfile, user: Any) -> bool:
    """Managers use every till; cashiers those that list them, or every till that lists nobody."""
    if is_manager(user):
        return True
    if not is_cashier(user):
        return False
    allowed = [u.pk for u in profile.allowed_users.all()]
    return not allowed or user.pk in allowed


def profile_check_access(profile: PosProfile, user: Any) -> None:
    if not profile_may_use(profile, user):
        raise Problem("forbidden", f"You may not use the profile {profile.name!r}.")


def session_check_actor(session: Session, user: Any) -> None:
    """Only the session's user, or a manager, may sell, move cash or close."""
    if session.user_id != user.pk and not is_manager(user):
        raise Problem(
            "not_session_owner",
            f"Session {session.name} belongs to {session.user.get_username()}; only they or a manager may act on it.",
        )


def session_check_state(session: Session, *states: str, action: str) -> None:
    if session.state not in states:
        raise Problem(
            "invalid_state",
            f"Cannot {action}: session {session.name} is {session.state}.",
            extra={"state": session.state},
        )
