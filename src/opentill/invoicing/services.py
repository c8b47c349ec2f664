"""Invoice writes: individual invoices at sync, consolidated invoices at close.

Every document equals what was paid for its orders: net + tax of the orders, their cash
rounding (``Invoice.rounding``) and, as total, their amount due (a credit note carries them
with the sign turned). An order invoiced on its own gets its invoice entry in the same
transaction: the company's receivable debited with the total, its sales and taxes credited
(:func:`opentill.accounting.postings.invoice_postings`); its payments settle the receivable
in the session's entry. Orders invoiced at close keep their sales in the session's entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Case, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from opentill.accounting.models import JournalEntry
from opentill.accounting.postings import invoice_postings, receivable_account
from opentill.accounting.services import journal_entry_create
from opentill.catalog.models import Customer
from opentill.common.problems import Problem
from opentill.common.services import sequence_next
from opentill.invoicing.models import Invoice
from opentill.invoicing.rules import (
    CREDIT_NOTE,
    INVOICE,
    OrderRow,
    PerCustomerRule,
    check_groups,
    load_rule,
)
from opentill.money import ZERO
from opentill.orders.domain import StoredOrder, sold_parts
from opentill.orders.models import Order
from opentill.pos.models import Session


def _number(kind: str) -> str:
    year = timezone.localdate().year
    prefix = "INV" if kind == INVOICE else "CN"
    return f"{prefix}/{year}/{sequence_next(key=f'invoice:{prefix}:{year}'):06d}"


def _as_issued(customer_ids: set[int]) -> dict[int, dict[str, str]]:
    """The customers' name, VAT number, address and e-mail, copied onto the invoices issued
    to them: a later change of the customer leaves an issued invoice as it was."""
    return {
        pk: {
            "customer_name": name,
            "customer_tax_id": tax_id,
            "customer_address": address,
            "customer_email": email,
        }
        for pk, name, tax_id, address, email in Customer.objects.filter(
            pk__in=customer_ids
        ).values_list("pk", "name", "tax_id", "address", "email")
    }


def _walk_in(session: Session) -> int:
    company = session.profile.store.company
    if company.walk_in_customer_id is None:
        raise Problem(
            "invalid_state",
            f"Company {company.name} has no walk-in customer for anonymous invoices.",
        )
    return company.walk_in_customer_id


def invoices_for_orders(*, orders: Sequence[StoredOrder], session: Session) -> list[Invoice]:
    """An individual invoice (or credit note) for each synced order asking for one (none in
    a training session: its tickets are not sales)."""
    if session.training:
        return []
    walk_in: int | None = None
    wanted = []
    for order in orders:
        if not order.to_invoice or order.state != Order.State.PAID:
            continue
        customer_id = order.customer_id
        if customer_id is None:
            walk_in = walk_in or _walk_in(session)
            customer_id = walk_in
        wanted.append((order, customer_id))
    if not wanted:
        return []
    company = session.profile.store.company
    receivable = receivable_account(company.receivable_account_id)
    customers = _as_issued({customer_id for _, customer_id in wanted})
    created = []
    for order, customer_id in wanted:
        kind = CREDIT_NOTE if order.amount_due < 0 else INVOICE
        invoice = Invoice.objects.create(
            number=_number(kind),
            kind=kind,
            consolidated=False,
            customer_id=customer_id,
            **customers[customer_id],
            session=session,
            **_amounts(
                kind,
                net=order.net_total,
                tax=order.tax_total,
                rounding=order.rounding,
                due=order.amount_due,
            ),
        )
        Order.objects.filter(uuid=order.uuid).update(invoice=invoice, state=Order.State.INVOICED)
        order.state = Order.State.INVOICED
        sales, taxes = sold_parts(order)
        journal_entry_create(
            kind=JournalEntry.Kind.ORDER,
            reference=f"{invoice.number} order {order.uuid}",
            postings=invoice_postings(
                number=invoice.number,
                credit_note=kind == CREDIT_NOTE,
                receivable_account_id=receivable,
                amount_due=order.amount_due,
                sales=sales,
                taxes=taxes,
                rounding=order.rounding,
                rounding_account_id=company.rounding_account_id if order.rounding else None,
            ),
            session_id=session.pk,
            order_id=order.pk,
        )
        created.append(invoice)
    return created


def _amounts(
    kind: str, *, net: Decimal, tax: Decimal, rounding: Decimal, due: Decimal
) -> dict[str, Decimal]:
    """The document's figures from its orders' signed sums: net + tax + rounding = total =
    the amount due, a credit note's with the sign turned."""
    sign = -1 if kind == CREDIT_NOTE else 1
    return {
        "net_total": sign * net,
        "tax_total": sign * tax,
        "rounding": sign * rounding,
        "total": sign * due,
    }


def invoices_consolidate(*, session: Session) -> list[Invoice]:
    """Group the session's paid orders without an invoice by the profile's invoicing rule.

    The rule sees light rows (id, customer, total); the orders are then attached to their
    invoice with one UPDATE joined to a temporary order → invoice table, whatever the volume.
    The default rule (:class:`PerCustomerRule`) is applied in SQL instead: its groups and
    their sums come from one ``GROUP BY`` and one UPDATE attaches every order, no order row
    read into Python (:func:`_consolidate_per_customer`).
    """
    profile = session.profile
    pending = Order.objects.filter(session=session, state=Order.State.PAID, invoice__isnull=True)
    rule = load_rule(profile.invoicing_rule or settings.OPENTILL_INVOICING_RULE)
    if type(rule) is PerCustomerRule:
        return _consolidate_per_customer(session, pending)
    rows = list(
        pending.order_by("id").values_list(
            "id", "customer_id", "amount_due", "net_total", "tax_total", "rounding"
        )
    )
    if not rows:
        return []
    orders = [
        OrderRow(id=i, customer_id=c, total=due, store_id=profile.store_id, profile_id=profile.pk)
        for i, c, due, _, _, _ in rows
    ]
    amounts = {i: (net, tax, rounding, due) for i, _, due, net, tax, rounding in rows}
    groups = rule.group(orders, walk_in_customer_id=_walk_in(session))
    check_groups(orders, groups)
    customers = _as_issued({group.customer_id for group in groups})
    invoices = []
    mapping: list[tuple[int, int]] = []
    for group in groups:
        net, tax, rounding, due = (
            sum((amounts[i][k] for i in group.order_ids), ZERO) for k in range(4)
        )
        invoice = Invoice.objects.create(
            number=_number(group.kind),
            kind=group.kind,
            consolidated=True,
            customer_id=group.customer_id,
            **customers[group.customer_id],
            session=session,
            **_amounts(group.kind, net=net, tax=tax, rounding=rounding, due=due),
        )
        mapping.extend((order_id, invoice.pk) for order_id in group.order_ids)
        invoices.append(invoice)
    _attach(mapping)
    return invoices


def _consolidate_per_customer(session: Session, pending: QuerySet[Order]) -> list[Invoice]:
    """:class:`PerCustomerRule` in SQL: one invoice per customer (anonymous orders to the
    walk-in customer) and one credit note per customer for the orders whose amount due is
    below zero, issued in the rule's order (by customer, the invoice first), their figures
    summed by the database; then one UPDATE attaches each order to its document."""
    if not pending.exists():
        return []
    walk_in = _walk_in(session)
    sums = (
        pending.annotate(
            group_customer=Coalesce("customer_id", Value(walk_in)),
            credit=Case(When(amount_due__lt=0, then=Value(1)), default=Value(0)),
        )
        .order_by()
        .values("group_customer", "credit")
        .annotate(
            net=Sum("net_total"),
            tax=Sum("tax_total"),
            rounding=Sum("rounding"),
            due=Sum("amount_due"),
        )
        .order_by("group_customer", "credit")
    )
    groups = [
        (g["group_customer"], g["credit"], g["net"], g["tax"], g["rounding"], g["due"])
        for g in sums
    ]
    customers = _as_issued({customer for customer, *_ in groups})
    invoices = []
    mapping: list[tuple[int, int, int]] = []
    for customer, credit, net, tax, rounding, due in groups:
        kind = CREDIT_NOTE if credit else INVOICE
        invoice = Invoice.objects.create(
            number=_number(kind),
            kind=kind,
            consolidated=True,
            customer_id=customer,
            **customers[customer],
            session=session,
            **_amounts(kind, net=net, tax=tax, rounding=rounding, due=due),
        )
        mapping.append((customer, credit, invoice.pk))
        invoices.append(invoice)
    quote = connection.ops.quote_name
    orders = quote(Order._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE opentill_invoice_groups "
            "(customer_id BIGINT NOT NULL, credit INTEGER NOT NULL, invoice_id BIGINT NOT NULL, "
            "PRIMARY KEY (customer_id, credit))"
        )
        try:
            cursor.executemany(
                "INSERT INTO opentill_invoice_groups (customer_id, credit, invoice_id) "
                "VALUES (%s, %s, %s)",
                mapping,
            )
            # UPDATE … FROM: PostgreSQL, and SQLite since 3.33.
            cursor.execute(
                f"UPDATE {orders} SET invoice_id = g.invoice_id, state = %s "
                f"FROM opentill_invoice_groups AS g "
                f"WHERE {orders}.session_id = %s AND {orders}.state = %s "
                f"AND {orders}.invoice_id IS NULL "
                f"AND g.customer_id = COALESCE({orders}.customer_id, %s) "
                f"AND g.credit = CASE WHEN {orders}.amount_due < 0 THEN 1 ELSE 0 END",
                [Order.State.INVOICED, session.pk, Order.State.PAID, walk_in],
            )
        finally:
            cursor.execute("DROP TABLE opentill_invoice_groups")
    return invoices


def _attach(mapping: Sequence[tuple[int, int]]) -> None:
    """Set invoice and state ``invoiced`` on many orders in one statement."""
    quote = connection.ops.quote_name
    orders = quote(Order._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE opentill_invoice_map (order_id BIGINT PRIMARY KEY, invoice_id BIGINT NOT NULL)"
        )
        try:
            if connection.vendor == "postgresql":
                # COPY moves 100,000 pairs in a fraction of what executemany takes.
                copy_sql = "COPY opentill_invoice_map (order_id, invoice_id) FROM STDIN"
                with cursor.cursor.copy(copy_sql) as copy:
                    for row in mapping:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    "INSERT INTO opentill_invoice_map (order_id, invoice_id) VALUES (%s, %s)",
                    list(mapping),
                )
            # UPDATE … FROM: PostgreSQL, and SQLite since 3.33.
            cursor.execute(
                f"UPDATE {orders} SET invoice_id = m.invoice_id, state = %s "
                f"FROM opentill_invoice_map AS m WHERE {orders}.id = m.order_id",
                [Order.State.INVOICED],
            )
        finally:
            cursor.execute("DROP TABLE opentill_invoice_map")
