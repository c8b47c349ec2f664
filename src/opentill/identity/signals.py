"""A user whose password changes or who is deactivated loses every API token, wherever the
change is made (back office, ``opentill createuser``, ``set_password`` + ``save`` in code).
An ``UPDATE`` that bypasses ``save`` (``QuerySet.update``) is not seen; deactivation is still
safe there, since tokens of inactive users are refused."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from opentill.identity.services import tokens_revoke

_WATCHED = {"password", "is_active"}


def user_pre_save(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    instance._opentill_revoke = None
    if instance.pk is None or kwargs.get("raw"):
        return
    if update_fields is not None and not _WATCHED & set(update_fields):
        return  # e.g. last_login on sign-in: nothing to compare
    stored = get_user_model().objects.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["is_active"] and not instance.is_active:
        instance._opentill_revoke = "user deactivated"
    elif stored["password"] != instance.password:
        instance._opentill_revoke = "password changed"


def user_post_save(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    reason = getattr(instance, "_opentill_revoke", None)
    if reason:
        instance._opentill_revoke = None
        tokens_revoke(user=instance, reason=reason)
