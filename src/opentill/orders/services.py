"""Order writes: batch sync (idempotent by uuid) and voiding pending tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from opentill.accounting.models import FinancialTransaction
from opentill.audit.models import AuditEvent
from opentill.audit.services import audit_record
from opentill.catalog.models import Customer, Product, StockMove
from opentill.common.problems import Problem
from opentill.money import ZERO, fmt
from opentill.orders.models import Order, OrderLine, Payment
from opentill.orders.parsing import OrderIn, order_uuid_of, parse_order
from opentill.orders.pricing import LineInput, price_order
from opentill.pos.access import session_check_actor, session_check_state
from opentill.pos.models import PaymentMethod, PosProfile, Session
from opentill.pos.services import rescue_session_get_or_create

MAX_BATCH = 1000
MAX_ORDER_TOTAL = Decimal("1000000000.00")  # keeps every sum far inside a 64-bit column


@dataclass
class SyncResult:
    uuid: str | None
    status: str  # created, duplicate, rescued, rejected
    session: int | None = None
    order: Order | None = None
    error: dict[str, Any] | None = None


@dataclass
class _Built:
    index: int
    order: Order
    lines: list[OrderLine] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)


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


def _build(
    order_in: OrderIn,
    *,
    index: int,
    session: Session,
    requested: Session,
    user: Any,
    catalog: _Catalog,
) -> _Built:
    """Price and validate one order against the catalog; raise a problem when it is wrong."""
    company = session.profile.store.company
    inputs: list[LineInput] = []
    products = []
    for line_index, line in enumerate(order_in.lines):
        product = catalog.products.get(line.product_id)
        if product is None:
            raise Problem(
                "unknown_product",
                f"Product {line.product_id} does not exist or is not sold.",
                errors=[
                    {
                        "loc": ["body", "orders", index, "lines", line_index, "product"],
                        "msg": "unknown product",
                    }
                ],
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
            raise Problem(
                "unknown_payment_method",
                f"Payment method {payment.payment_method_id} is not a method of profile {session.profile.name!r}.",
                errors=[
                    {
                        "loc": ["body", "orders", index, "payments", pay_index, "payment_method"],
                        "msg": "unknown payment method",
                    }
                ],
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

    order = Order(
        uuid=order_in.uuid,
        session=session,
        requested_session=requested,
        user=user,
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
    built = _Built(index=index, order=order)
    for line, product, line_price, line_input in zip(
        order_in.lines, products, price.lines, inputs, strict=True
    ):
        built.lines.append(
            OrderLine(
                order=order,
                product=product,
                quantity=line.quantity,
                unit_price=line_input.unit_price,
                discount_percent=line.discount_percent,
                tax=product.tax,
                tax_rate=product.tax.rate,
                income_account_id=product.income_account_id,
                discount=line_price.discount,
                net=line_price.net,
                tax_amount=line_price.tax,
                total=line_price.total,
            )
        )
    for payment, method in zip(order_in.payments, methods, strict=True):
        built.payments.append(
            Payment(order=order, session=session, payment_method=method, amount=payment.amount)
        )
    return built


def _insert(built: Sequence[_Built], *, session: Session) -> None:
    """Write the orders with their lines, payments, payment transactions and stock moves."""
    Order.objects.bulk_create([b.order for b in built])
    lines = []
    payments = []
    for b in built:
        for line in b.lines:
            line.order = b.order
            lines.append(line)
        for payment in b.payments:
            payment.order = b.order
            payments.append(payment)
    OrderLine.objects.bulk_create(lines, batch_size=2000)
    Payment.objects.bulk_create(payments, batch_size=2000)
    # A payment raises (a refund lowers) its method's financial account: expected amounts
    # at close are then a SUM over the account, never a walk over orders.
    FinancialTransaction.objects.bulk_create(
        [
            FinancialTransaction(
                account_id=p.payment_method.financial_account_id,
                kind=FinancialTransaction.Kind.PAYMENT,
                amount=p.amount,
                session=session,
                payment=p,
            )
            for p in payments
        ],
        batch_size=2000,
    )
    if session.profile.stock_mode == PosProfile.StockMode.REAL_TIME:
        StockMove.objects.bulk_create(
            [
                StockMove(
                    store_id=session.profile.store_id,
                    product=line.product,
                    quantity=-line.quantity,
                    session=session,
                    order=line.order,
                )
                for line in lines
                if line.product.stock_tracked
                and line.order.state in (Order.State.PAID, Order.State.INVOICED)
            ],
            batch_size=2000,
        )
    from opentill.orders.posting import orders_after_sync

    # Invoices and real-time entries follow the order the terminal sent (not the insert order).
    in_batch_order = [b.order for b in sorted(built, key=lambda b: b.index)]
    orders_after_sync(orders=in_batch_order, session=session, lines=lines, payments=payments)


def _forget_ids(built: _Built) -> None:
    """Clear primary keys a rolled-back insert may have assigned, before inserting again."""
    for obj in (built.order, *built.lines, *built.payments):
        obj.pk = None
        obj._state.adding = True


def _rejected(uuid: str | None, problem: Problem) -> SyncResult:
    return SyncResult(uuid=uuid, status="rejected", error=problem.as_dict())


def order_sync(*, session_id: int, user: Any, payloads: Sequence[Any]) -> list[SyncResult]:
    """Store a batch of orders for a session, idempotently by ``uuid``.

    Each order is ``created``, ``duplicate`` (its uuid was seen before: nothing changes),
    ``rescued`` (the session is closing or closed: stored in the profile's rescue session)
    or ``rejected`` with a problem document; one bad order never rejects the others.
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

    with transaction.atomic():
        requested = (
            Session.objects.select_for_update(of=("self",))
            .select_related("profile__store__company", "user")
            .filter(pk=session_id)
            .first()
        )
        if requested is None:
            raise Problem("not_found", f"Session {session_id} does not exist.")
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
        catalog = _Catalog(requested.profile, [o for _, o in parsed])
        built: list[_Built] = []
        for index, order_in in parsed:
            if order_in.uuid in existing:
                results[index] = SyncResult(
                    uuid=str(order_in.uuid), status="duplicate", session=existing[order_in.uuid]
                )
                continue
            existing[order_in.uuid] = target.pk
            try:
                built.append(
                    _build(
                        order_in,
                        index=index,
                        session=target,
                        requested=requested,
                        user=user,
                        catalog=catalog,
                    )
                )
            except Problem as problem:
                del existing[order_in.uuid]
                results[index] = _rejected(str(order_in.uuid), problem)

        # Insert in uuid order: two batches sharing uuids then take the unique index's locks
        # in the same order, so one waits for the other instead of deadlocking.
        built.sort(key=lambda b: b.order.uuid)
        try:
            with transaction.atomic():
                _insert(built, session=target)
        except IntegrityError:
            # Another batch stored one of these uuids meanwhile: store one by one, so each
            # order that lost the race is a duplicate and the others are still created.
            for b in built:
                try:
                    with transaction.atomic():
                        _forget_ids(b)
                        _insert([b], session=target)
                except IntegrityError:
                    other = (
                        Order.objects.filter(uuid=b.order.uuid)
                        .values_list("session_id", flat=True)
                        .first()
                    )
                    results[b.index] = SyncResult(
                        uuid=str(b.order.uuid), status="duplicate", session=other
                    )
        rescued = [
            str(b.order.uuid)
            for b in built
            if results[b.index] is None and created_status == "rescued"
        ]
        if rescued:
            audit_record(
                user=user,
                action=AuditEvent.Action.ORDERS_RESCUED,
                obj=target,
                session_id=target.pk,
                after={"requested_session": requested.pk, "orders": rescued},
                detail=f"{len(rescued)} order(s) for {requested.name} ({requested.state}) stored in {target.name}",
            )
        for b in built:
            if results[b.index] is None:
                results[b.index] = SyncResult(
                    uuid=str(b.order.uuid), status=created_status, session=target.pk, order=b.order
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
