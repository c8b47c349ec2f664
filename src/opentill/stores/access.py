"""Which stores a user may see: the one home of the rule every list, report and export uses.

A manager listed on stores manages those; a manager listed on none manages every store.
Accountants and superusers see every store. ``None`` means "every store"; a set limits the
view to those stores (an empty set: none).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from opentill.identity.roles import is_accountant

M = TypeVar("M", bound=Model)


def managed_store_ids(user: Any) -> set[int] | None:
    """Stores a manager manages: those that list them, or every store (None) when none does."""
    if hasattr(user, "_opentill_stores"):
        cached: set[int] | None = user._opentill_stores
        return cached
    ids = set(user.managed_stores.values_list("pk", flat=True)) if user.is_authenticated else set()
    result = ids or None
    user._opentill_stores = result
    return result


def visible_store_ids(user: Any) -> set[int] | None:
    """Stores whose records (sessions, accounts, reports, exports) the user may read."""
    if user.is_superuser or is_accountant(user):
        return None
    return managed_store_ids(user)


def store_scoped(qs: QuerySet[M], user: Any, store_path: str) -> QuerySet[M]:
    """``qs`` limited to the stores ``user`` may see; ``store_path`` leads to a store id
    (e.g. ``"profile__store_id"``). Rows whose path is empty (the company's) are kept only
    for users who see every store."""
    stores = visible_store_ids(user)
    return qs if stores is None else qs.filter(**{f"{store_path}__in": stores})
