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


def may_see_reports(user: Any) -> bool:
    """Reports, exports, financial accounts and the back office's read-only records (print
    jobs, held orders): active managers and accountants (a superuser holds every role).
    Which stores' records they see is ``opentill.stores.access.visible_store_ids``."""
    return bool(user.is_active and (is_manager(user) or is_accountant(user)))


# Django permissions per role: what each group may see and do in the back office.
# Cashiers work in the terminal and the API; they have no back-office access.
_CONFIG = [
    ("pos", "posprofile"),
    ("pos", "paymentmethod"),
    ("pos", "denomination"),
    ("pos", "cashmovedestination"),
    ("stores", "store"),
    ("catalog", "product"),
    ("catalog", "category"),
    ("catalog", "tax"),
    ("catalog", "customer"),
    ("fiscal", "fiscaldevice"),
    ("fiscal", "tilldevice"),
]
_OPERATIONS = [
    ("pos", "session"),
    ("pos", "sessioncount"),
    ("pos", "cashmove"),
    ("orders", "order"),
    ("orders", "orderline"),
    ("orders", "payment"),
    ("invoicing", "invoice"),
    ("catalog", "stockmove"),
    ("identity", "approval"),
    ("fiscal", "devicetransaction"),
]
_ACCOUNTING = [
    ("accounting", "ledgeraccount"),
    ("accounting", "glitem"),
    ("accounting", "financialaccount"),
    ("accounting", "financialtransaction"),
    ("accounting", "reconciliation"),
    ("accounting", "journalentry"),
    ("accounting", "journalline"),
    ("audit", "auditevent"),
]


def role_permissions() -> dict[str, list[tuple[str, str]]]:
    """(app label, codename) of every permission a role grants."""
    manager = [
        (app, f"{verb}_{model}")
        for app, model in _CONFIG
        for verb in ("view", "add", "change", "delete")
    ]
    manager += [(app, f"view_{model}") for app, model in _OPERATIONS + _ACCOUNTING]
    manager += [("stores", "view_company"), ("stores", "change_company")]
    manager += [("pos", "validate_closing"), ("pos", "force_close")]
    accountant = [(app, f"view_{model}") for app, model in _OPERATIONS + _ACCOUNTING]
    accountant += [(app, f"view_{model}") for app, model in _CONFIG]
    accountant += [
        ("accounting", f"{verb}_{model}")
        for model in ("ledgeraccount", "glitem", "financialaccount")
        for verb in ("add", "change")
    ]
    return {CASHIER: [], MANAGER: manager, ACCOUNTANT: accountant}


def roles_sync(**kwargs: Any) -> None:
    """Create the role groups and give them their permissions (run after every migrate)."""
    from django.contrib.auth.models import Group, Permission

    for role, wanted in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for app_label, codename in wanted:
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.set(perms)
