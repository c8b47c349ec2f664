"""What the point of sale announces to the contexts above it, which subscribe from their
AppConfig.ready (the lower layer never imports them)."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent once a close is committed (``transaction.on_commit``), with ``session_id``: the
#: reports app prints the Z report. A receiver's error is logged; the close stays.
session_closed = Signal()

#: Sent inside the close's transaction (``closing.services``), once the session is marked
#: closed, with ``session`` (locked) and ``user``: the fiscal journal writes the Z record.
#: A receiver's error undoes the close.
session_close_booked = Signal()

#: Sent inside the caller's transaction by ``pos.access.approval_check`` once a manager's
#: approval of a difference (``opening_difference``, ``closing_difference``) is consumed,
#: with ``session``, ``action``, ``approver`` and ``why``: the fiscal journal writes an
#: ``approval`` record. A receiver's error undoes the approved action.
difference_approved = Signal()
