"""The three roles (Django groups) and the checks every context uses."""

from __future__ import annotations

from typing import Any

CASHIER = "cashier"
MANAGER = "manager"
ACCOUNTANT = "accountant"
ROLES = (CASHIER, MANAGER, ACCOUNTANT)


def roles_of(user: Any) -> list[str]:
    """Role names of ``user``; a superuser holds every role."""
    if user is None or not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(ROLES)
    cached = getattr(user, "_opentill_roles", None)
    if cached is None:
        cached = sorted(set(user.groups.filter(name__in=ROLES).values_list("name", flat=True)))
        user._opentill_roles = cached
    return list(cached)


def is_manager(user: Any) -> bool:
    return MANAGER in roles_of(user)


def is_accountant(user: Any) -> bool:
    return ACCOUNTANT in roles_of(user)


def is_cashier(user: Any) -> bool:
    return CASHIER in roles_of(user)
