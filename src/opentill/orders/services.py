"""Order writes: batch sync (idempotent by uuid) and voiding pending tickets."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from opentill.accounting.models import FinancialTransaction
from opentill.audit.models import AuditEvent
from opentill.audit.services import audit_record
from opentill.catalog.models import Customer, Product, StockMove
from opentill.common.db import db_value, insert_rows
from opentill.common.problems import Problem
from opentill.limits import MAX_AMOUNT, MAX_BATCH
from opentill.money import QUANTITY_PLACES, RATE_PLACES, ZERO, fmt, to_minor
from opentill.orders.models import Order, OrderLine, Payment
from opentill.orders.parsing import OrderIn, order_uuid_of, parse_order
from opentill.orders.pricing import LineInput, price_order
from opentill.pos.access import session_check_actor, session_check_state
from opentill.pos.models import PaymentMethod, PosProfile, Session
from opentill.pos.services import rescue_session_get_or_create

MAX_ORDER_TOTAL = MAX_AMOUNT  # keeps every sum far inside a 64-bit column


@dataclass
class StoredLine:
    product_id: int
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    tax_id: int
    tax_account_id: int
    tax_rate: Decimal
    income_account_id: int
    stock_tracked: bool
    discount: Decimal
    net: Decimal
    tax_amount: Decimal
    total: Decimal


@dataclass
class StoredPayment:
    payment_method_id: int
    account_id: int
    ledger_account_id: int
    method_name: str
    amount: Decimal


@dataclass
class StoredOrder:
    """One synced order as plain values: priced before the lock, written in bulk."""

    index: int
    uuid: uuidlib.UUID
    customer_id: int | None
    state: str
    to_invoice: bool
    created_at: datetime
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    rounding: Decimal
    amount_due: Decimal
    lines: list[StoredLine] = field(default_factory=list)
    payments: list[StoredPayment] = field(default_factory=list)
    pk: int | None = None
    session_id: int | None = None


@dataclass
class SyncResult:
    uuid: str | None
    status: str  # created, duplicate, rescued, rejected
    session: int | None = None
    order: StoredOrder | None = None
    error: dict[str, Any] | None = None


class _Catalog:
    """Products, customers and payment methods a batch refers to, loaded in three queries."""

    def __init__(self, profile: PosProfile, orders: Sequence[OrderIn]) -> None:
        company_id = profile.store.company_id
        product_ids = {line.product_id for o in orders for line in o.lines}
        customer_ids = {o.customer_id for o in orders if o.customer_id}
        self.products = {
            p.pk: p
            for p in Product.objects.select_related("tax").filter(
                pk__in=product_ids, company_id=company_id, active=True
            )
        }
        self.customers = set(
            Customer.objects.filter(pk__in=customer_ids, company_id=company_id).values_list(
                "pk", flat=True
            )
        )
        self.methods: dict[int, PaymentMethod] = {
            m.pk: m for m in profile.payment_methods.select_related("financial_account")
        }


def _unknown(code: str, detail: str, loc: list[Any]) -> Problem:
    """A reference to something the catalog does not have, pointing at the field."""
    return Problem(code, detail, errors=[{"loc": loc, "msg": code.replace("_", " ")}])


def _price(order_in: OrderIn, *, index: int, profile: PosProfile, catalog: _Catalog) -> StoredOrder:
    """Price and validate one order against the catalog; raise a problem when it is wrong."""
    company = profile.store.company
    inputs: list[LineInput] = []
    products = []
    for line_index, line in enumerate(order_in.lines):
        product = catalog.products.get(line.product_id)
        if product is None:
            raise _unknown(
                "unknown_product",
                f"Product {line.product_id} does not exist or is not sold.",
                ["body", "orders", index, "lines", line_index, "product"],
            )
        products.append(product)
        unit_price = product.price if line.unit_price is None else line.unit_price
        inputs.append(LineInput(line.quantity, unit_price, line.discount_percent, product.tax.rate))
    if order_in.customer_id is not None and order_in.customer_id not in catalog.customers:
        raise Problem("unknown_customer", f"Customer {order_in.customer_id} does not exist.")
    methods = []
    for pay_index, payment in enumerate(order_in.payments):
        method = catalog.methods.get(payment.payment_method_id)
        if method is None:
            raise _unknown(
                "unknown_payment_method",
                f"Payment method {payment.payment_method_id} is not a method of profile {profile.name!r}.",
                ["body", "orders", index, "payments", pay_index, "payment_method"],
            )
        methods.append(method)

    paid_in_cash = any(m.kind == PaymentMethod.Kind.CASH for m in methods)
    price = price_order(
        inputs,
        prices_include_tax=company.prices_include_tax,
        tax_per_line=company.tax_rounding == company.TaxRounding.PER_LINE,
        cash_rounding_step=company.cash_rounding if paid_in_cash else None,
    )
    if abs(price.total) > MAX_ORDER_TOTAL or any(
        abs(line.amount) > MAX_ORDER_TOTAL for line in price.lines
    ):
        raise Problem(
            "validation_error",
            f"The order or one of its lines exceeds what a till can take ({fmt(MAX_ORDER_TOTAL)}).",
        )
    if order_in.state == Order.State.PAID:
        paid = sum((p.amount for p in order_in.payments), ZERO)
        if paid != price.amount_due:
            raise Problem(
                "payment_mismatch",
                f"Payments total {fmt(paid)} but the amount due is {fmt(price.amount_due)}.",
                extra={"amount_due": fmt(price.amount_due), "paid": fmt(paid)},
            )
    stored = StoredOrder(
        index=index,
        uuid=order_in.uuid,
        customer_id=order_in.customer_id,
        state=order_in.state,
        to_invoice=order_in.to_invoice,
        created_at=order_in.created_at or timezone.now(),
        net_total=price.net_total,
        tax_total=price.tax_total,
        total=price.total,
        rounding=price.rounding,
        amount_due=price.amount_due,
    )
    for line, product, line_price, line_input in zip(
        order_in.lines, products, price.lines, inputs, strict=True
    ):
        stored.lines.append(
            StoredLine(
                product_id=product.pk,
                quantity=line.quantity,
                unit_price=line_input.unit_price,
                discount_percent=line.discount_percent,
                tax_id=product.tax_id,
                tax_account_id=product.tax.account_id,
                tax_rate=product.tax.rate,
                income_account_id=product.income_account_id,
                stock_tracked=product.stock_tracked,
                discount=line_price.discount,
                net=line_price.net,
                tax_amount=line_price.tax,
                total=line_price.total,
            )
        )
    for payment, method in zip(order_in.payments, methods, strict=True):
        stored.payments.append(
            StoredPayment(
                payment_method_id=method.pk,
                account_id=method.financial_account_id,
                ledger_account_id=method.financial_account.ledger_account_id,
                method_name=method.name,
                amount=payment.amount,
            )
        )
    return stored


_ORDER_FIELDS = (
    "uuid",
    "session",
    "requested_session",
    "user",
    "customer",
    "state",
    "to_invoice",
    "created_at",
    "synced_at",
    "net_total",
    "tax_total",
    "total",
    "rounding",
    "amount_due",
    "void_reason",
)
_LINE_FIELDS = (
    "order",
    "product",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax",
    "tax_rate",
    "income_account",
    "discount",
    "net",
    "tax_amount",
    "total",
)
_PAYMENT_FIELDS = ("order", "session", "payment_method", "amount")
_TX_FIELDS = ("account", "kind", "amount", "comment", "session", "created_at")
_STOCK_FIELDS = ("store", "product", "quantity", "session", "created_at")


def _insert(
    orders: Sequence[StoredOrder], *, session: Session, requested: Session, user: Any
) -> None:
    """Write the orders, their lines and payments; one financial transaction per payment
    method and one stock move per product for the whole batch."""
    now = timezone.now()
    now_db = db_value(Order, "synced_at", now)
    insert_rows(
        Order,
        _ORDER_FIELDS,
        [
            (
                db_value(Order, "uuid", o.uuid),
                session.pk,
                requested.pk,
                user.pk,
                o.customer_id,
                o.state,
                o.to_invoice,
                db_value(Order, "created_at", o.created_at),
                now_db,
                to_minor(o.net_total),
                to_minor(o.tax_total),
                to_minor(o.total),
                to_minor(o.rounding),
                to_minor(o.amount_due),
                "",
            )
            for o in orders
        ],
    )
    ids = dict(Order.objects.filter(uuid__in=[o.uuid for o in orders]).values_list("uuid", "pk"))
    for o in orders:
        o.pk = ids[o.uuid]
        o.session_id = session.pk
    insert_rows(
        OrderLine,
        _LINE_FIELDS,
        [
            (
                o.pk,
                line.product_id,
                to_minor(line.quantity, QUANTITY_PLACES),
                to_minor(line.unit_price),
                to_minor(line.discount_percent, RATE_PLACES),
                line.tax_id,
                to_minor(line.tax_rate, RATE_PLACES),
                line.income_account_id,
                to_minor(line.discount),
                to_minor(line.net),
                to_minor(line.tax_amount),
                to_minor(line.total),
            )
            for o in orders
            for line in o.lines
        ],
    )
    insert_rows(
        Payment,
        _PAYMENT_FIELDS,
        [
            (o.pk, session.pk, p.payment_method_id, to_minor(p.amount))
            for o in orders
            for p in o.payments
        ],
    )
    # Payments raise (refunds lower) their method's financial account: one transaction per
    # method and batch keeps expected amounts a SUM over few rows, whatever the volume.
    per_account: dict[int, Decimal] = {}
    count: dict[int, int] = {}
    for o in orders:
        for p in o.payments:
            per_account[p.account_id] = per_account.get(p.account_id, ZERO) + p.amount
            count[p.account_id] = count.get(p.account_id, 0) + 1
    insert_rows(
        FinancialTransaction,
        _TX_FIELDS,
        [
            (
                account_id,
                FinancialTransaction.Kind.PAYMENT,
                to_minor(amount),
                f"{session.name}: {count[account_id]} payment(s) synced",
                session.pk,
                now_db,
            )
            for account_id, amount in per_account.items()
        ],
    )
    if session.profile.stock_mode == PosProfile.StockMode.REAL_TIME:
        moved: dict[int, Decimal] = {}
        for o in orders:
            if o.state != Order.State.PAID:
                continue
            for line in o.lines:
                if line.stock_tracked:
                    moved[line.product_id] = moved.get(line.product_id, ZERO) + line.quantity
        insert_rows(
            StockMove,
            _STOCK_FIELDS,
            [
                (
                    session.profile.store_id,
                    product_id,
                    to_minor(-quantity, QUANTITY_PLACES),
                    session.pk,
                    now_db,
                )
                for product_id, quantity in sorted(moved.items())
                if quantity
            ],
        )
    from opentill.orders.posting import orders_after_sync

    # Invoices and real-time entries follow the order the terminal sent (not the insert order).
    orders_after_sync(orders=sorted(orders, key=lambda o: o.index), session=session)


def _rejected(uuid: str | None, problem: Problem) -> SyncResult:
    return SyncResult(uuid=uuid, status="rejected", error=problem.as_dict())


def _session_for_sync(session_id: int, user: Any) -> Session:
    session = (
        Session.objects.select_related("profile__store__company", "user")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise Problem("not_found", f"Session {session_id} does not exist.")
    session_check_actor(session, user)
    return session


def order_sync(*, session_id: int, user: Any, payloads: Sequence[Any]) -> list[SyncResult]:
    """Store a batch of orders for a session, idempotently by ``uuid``.

    Each order is ``created``, ``duplicate`` (its uuid was seen before: nothing changes),
    ``rescued`` (the session is closing or closed: stored in the profile's rescue session)
    or ``rejected`` with a problem document; one bad order never rejects the others.
    Orders are validated and priced before the session is locked, so the lock (on SQLite,
    the database's write lock) is held only to check the state and write.
    """
    if len(payloads) > MAX_BATCH:
        raise Problem("validation_error", f"At most {MAX_BATCH} orders per batch.")
    results: list[SyncResult | None] = [None] * len(payloads)
    parsed: list[tuple[int, OrderIn]] = []
    for index, payload in enumerate(payloads):
        try:
            parsed.append((index, parse_order(payload, index=index)))
        except Problem as problem:
            results[index] = _rejected(order_uuid_of(payload), problem)

    requested = _session_for_sync(session_id, user)
    profile = requested.profile
    catalog = _Catalog(profile, [o for _, o in parsed])
    priced: list[StoredOrder] = []
    seen: set[uuidlib.UUID] = set()
    for index, order_in in parsed:
        if order_in.uuid in seen:
            continue  # repeated in this batch: answered as a duplicate below
        try:
            priced.append(_price(order_in, index=index, profile=profile, catalog=catalog))
            seen.add(order_in.uuid)
        except Problem as problem:
            results[index] = _rejected(str(order_in.uuid), problem)

    with transaction.atomic():
        requested = (
            Session.objects.select_for_update(of=("self",))
            .select_related("profile__store__company", "user")
            .get(pk=session_id)
        )
        session_check_actor(requested, user)
        target = requested
        created_status = "created"
        if requested.state in (Session.State.CLOSING_CONTROL, Session.State.CLOSED):
            target = rescue_session_get_or_create(profile=requested.profile, user=requested.user)
            target.profile = requested.profile
            created_status = "rescued"
        else:
            session_check_state(requested, Session.State.IN_PROGRESS, action="sync orders")

        existing = dict(
            Order.objects.filter(uuid__in=[o.uuid for _, o in parsed]).values_list(
                "uuid", "session_id"
            )
        )
        fresh = [o for o in priced if o.uuid not in existing]
        fresh_indexes = {o.index for o in fresh}
        existing.update((o.uuid, target.pk) for o in fresh)
        for index, order_in in parsed:
            if results[index] is None and index not in fresh_indexes:
                results[index] = SyncResult(
                    uuid=str(order_in.uuid), status="duplicate", session=existing[order_in.uuid]
                )

        # Insert in uuid order: two batches sharing uuids then take the unique index's locks
        # in the same order, so one waits for the other instead of deadlocking.
        fresh.sort(key=lambda o: o.uuid)
        try:
            with transaction.atomic():
                _insert(fresh, session=target, requested=requested, user=user)
        except IntegrityError:
            # Another batch stored one of these uuids meanwhile: store one by one, so each
            # order that lost the race is a duplicate and the others are still created.
            for o in fresh:
                try:
                    with transaction.atomic():
                        o.pk = None
                        _insert([o], session=target, requested=requested, user=user)
                except IntegrityError:
                    other = (
                        Order.objects.filter(uuid=o.uuid)
                        .values_list("session_id", flat=True)
                        .first()
                    )
                    results[o.index] = SyncResult(
                        uuid=str(o.uuid), status="duplicate", session=other
                    )
        stored = [o for o in fresh if results[o.index] is None]
        if created_status == "rescued" and stored:
            audit_record(
                user=user,
                action=AuditEvent.Action.ORDERS_RESCUED,
                obj=target,
                session_id=target.pk,
                after={"requested_session": requested.pk, "orders": [str(o.uuid) for o in stored]},
                detail=f"{len(stored)} order(s) for {requested.name} ({requested.state}) stored in {target.name}",
            )
        for o in stored:
            results[o.index] = SyncResult(
                uuid=str(o.uuid), status=created_status, session=target.pk, order=o
            )
    return [r for r in results if r is not None]


def order_void(*, uuid: Any, user: Any, reason: str) -> Order:
    """Void a pending (draft) ticket; paid orders are corrected by refunds, not voided."""
    session_id = Order.objects.filter(uuid=uuid).values_list("session_id", flat=True).first()
    if session_id is None:
        raise Problem("not_found", f"Order {uuid} does not exist.")
    with transaction.atomic():
        # Session first, then the order: the order every close takes its locks in, so a
        # void racing a close waits instead of deadlocking.
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("user", "profile")
            .get(pk=session_id)
        )
        order = Order.objects.select_for_update(of=("self",)).get(uuid=uuid)
        session_check_actor(session, user)
        if order.state != Order.State.DRAFT:
            raise Problem(
                "invalid_state", f"Only draft orders can be voided; order {uuid} is {order.state}."
            )
        if session.state == Session.State.CLOSED:
            raise Problem("invalid_state", f"Session {session.name} is closed.")
        order.state = Order.State.VOID
        order.void_reason = reason[:255]
        order.save(update_fields=["state", "void_reason"])
        audit_record(
            user=user,
            action=AuditEvent.Action.ORDER_VOIDED,
            obj=order,
            session_id=session.pk,
            before={"state": Order.State.DRAFT, "total": order.total},
            after={"state": order.state},
            detail=reason,
        )
    return order
