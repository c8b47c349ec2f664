"""Writes shared by every context."""

from django.db import transaction
from django.db.models import F

from opentill.common.models import Sequence


def sequence_next(*, key: str) -> int:
    """Next value of the named counter; gapless because it is taken inside the caller's
    transaction (the row lock is held until the caller commits)."""
    with transaction.atomic():
        Sequence.objects.get_or_create(key=key)
        Sequence.objects.filter(key=key).update(value=F("value") + 1)
        return Sequence.objects.values_list("value", flat=True).get(key=key)
