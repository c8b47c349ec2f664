"""What happens to freshly synced orders besides storing them (real-time posting, invoices)."""

from __future__ import annotations

from collections.abc import Sequence

from opentill.orders.models import Order
from opentill.pos.models import Session


def orders_after_sync(*, orders: Sequence[Order], session: Session) -> None:
    """Hook run in the sync transaction; real-time journal entries and individual invoices
    are added by the close and invoicing contexts."""
    return None
