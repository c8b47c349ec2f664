"""What the orders context announces to the contexts above it, which subscribe from their
AppConfig.ready (orders never imports them)."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent inside the sync transaction with ``orders`` (``StoredOrder``, in the order the
#: terminal sent them) and ``session``: invoicing writes the individual invoices. A
#: receiver's error undoes the sync.
orders_synced = Signal()

#: Sent inside the void's transaction with ``order`` (the ``Order``, now void) and
#: ``session`` (locked): the fiscal journal records the void. A receiver's error undoes it.
order_voided = Signal()
