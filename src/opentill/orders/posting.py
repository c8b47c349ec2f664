"""What follows a sync in its transaction: the contexts above are told (invoicing writes the
individual invoices) and, when the profile posts in real time, each sold order's journal
entry is booked with the rules of :mod:`opentill.accounting.postings`. An order invoiced on
its own had its sales booked by its invoice entry (invoicing writes it): its payments
settle the receivable."""

from __future__ import annotations

from collections.abc import Sequence

from opentill.accounting.models import JournalEntry
from opentill.accounting.postings import order_postings
from opentill.accounting.services import journal_entry_create
from opentill.orders.domain import StoredOrder, sold_parts
from opentill.orders.models import Order
from opentill.orders.selectors import SOLD
from opentill.orders.signals import orders_synced
from opentill.pos.models import PosProfile, Session


def orders_after_sync(*, orders: Sequence[StoredOrder], session: Session) -> None:
    """Run in the sync transaction: ``orders_synced`` (individual invoices for the orders
    that ask for one), then a journal entry per sold order when the profile posts in real
    time."""
    orders_synced.send(sender=StoredOrder, orders=orders, session=session)
    if session.training or session.profile.posting_mode != PosProfile.PostingMode.PER_ORDER:
        return  # a training session books nothing
    company = session.profile.store.company
    for order in orders:
        if order.state not in SOLD:
            continue
        sales, taxes = sold_parts(order)
        journal_entry_create(
            kind=JournalEntry.Kind.ORDER,
            reference=f"{session.name} order {order.uuid}",
            postings=order_postings(
                sales=sales,
                taxes=taxes,
                rounding=order.rounding,
                rounding_account_id=company.rounding_account_id if order.rounding else None,
                payments=[(p.ledger_account_id, p.method_name, p.amount) for p in order.payments],
                difference=order.difference,
                difference_account_id=order.difference_account_id,
                # Invoiced on its own by orders_synced: its invoice entry booked the sales.
                invoiced=order.state == Order.State.INVOICED,
                amount_due=order.amount_due,
                receivable_account_id=company.receivable_account_id,
            ),
            session_id=session.pk,
            order_id=order.pk,
        )
