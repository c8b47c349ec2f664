"""Order writes: batch sync (idempotent by uuid; its bulk INSERTs are
:mod:`opentill.orders.writes`), held orders and their resolution, voiding pending tickets.

A ticket paid at the till is a fact: the sync books it (``created``) when it can price it as
sent, and otherwise *holds* it (``held``: stored whole with the reason, counted in no total)
for a manager, who accepts it (booked with the server's figures, the gap between what was
paid and what is due booked as a difference) or voids it. ``rejected`` is left for what no
terminal could have sent (see :mod:`opentill.orders.parsing`).
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from opentill.accounting.postings import taxes_key
from opentill.audit.models import AuditEvent
from opentill.audit.services import audit_record
from opentill.catalog.models import Customer, Product, Tax
from opentill.common.problems import Problem
from opentill.limits import MAX_AMOUNT, MAX_BATCH
from opentill.money import ZERO, fmt
from opentill.orders.conventions import conventions_of, fiscal_maps, tax_spec
from opentill.orders.domain import (
    HeldIn,
    StoredLine,
    StoredLineTax,
    StoredOrder,
    StoredPayment,
    SyncResult,
    ticket_number,
)
from opentill.orders.models import HeldOrder, Order
from opentill.orders.parsing import (
    OrderContentError,
    OrderIn,
    PaymentIn,
    order_uuid_of,
    parse_order,
    payload_storable,
)
from opentill.orders.pricing import LineInput, map_account, map_line, price_order
from opentill.orders.signals import order_voided
from opentill.orders.writes import orders_insert
from opentill.pos.access import (
    approval_check,
    manages_store,
    session_check_actor,
    session_check_manager,
    session_check_state,
)
from opentill.pos.models import PaymentMethod, PosProfile, Session
from opentill.pos.selectors import session_get, session_places
from opentill.pos.services import rescue_session_get_or_create

MAX_ORDER_TOTAL = MAX_AMOUNT  # keeps every sum far inside a 64-bit column


class _Catalog:
    """Products, customers and payment methods a batch refers to, loaded in three queries.

    Products are the company's, active or not: a product deactivated since the terminal
    loaded its catalog is still a product, and a ticket that sold it is still a sale.
    """

    def __init__(self, profile: PosProfile, orders: Sequence[OrderIn]) -> None:
        company_id = profile.store.company_id
        product_ids = {line.product_id for o in orders for line in o.lines}
        customer_ids = {o.customer_id for o in orders if o.customer_id}
        self.products = {
            p.pk: p for p in Product.objects.filter(pk__in=product_ids, company_id=company_id)
        }
        self.product_taxes: dict[int, list[int]] = {pk: [] for pk in self.products}
        for product_id, tax_id in Product.taxes.through.objects.filter(
            product_id__in=self.products
        ).values_list("product_id", "tax_id"):
            self.product_taxes[product_id].append(tax_id)
        self.taxes = {t.pk: t for t in Tax.objects.filter(company_id=company_id)}
        self.specs = {pk: tax_spec(t) for pk, t in self.taxes.items()}
        # Each tax as a line records it: (name, kind, rate, account).
        self.charged = {pk: (t.name, t.kind, t.rate, t.account_id) for pk, t in self.taxes.items()}
        self._labels: dict[tuple[int, ...], str] = {}
        # Each customer's default fiscal position (None: none).
        self.customers: dict[int, int | None] = dict(
            Customer.objects.filter(pk__in=customer_ids, company_id=company_id).values_list(
                "pk", "fiscal_position_id"
            )
        )
        # The positions a cashier may choose on this till, and the default one.
        self.offered = set(profile.fiscal_positions.values_list("pk", flat=True))
        self.default_position = profile.default_fiscal_position_id
        if self.default_position is not None:
            self.offered.add(self.default_position)
        self.positions = fiscal_maps(
            self.offered | {pk for pk in self.customers.values() if pk is not None}
        )
        self.conventions = conventions_of(profile.store.company)
        self.methods: dict[int, PaymentMethod] = {
            m.pk: m
            for m in profile.payment_methods.select_related(
                "financial_account", "cash_difference_gl_item"
            )
        }

    def tax_label(self, tax_ids: tuple[int, ...]) -> str:
        """The key a line with these taxes (in their order) books its sales under."""
        label = self._labels.get(tax_ids)
        if label is None:
            label = self._labels[tax_ids] = taxes_key(
                (self.charged[pk][1], self.charged[pk][2], self.charged[pk][0]) for pk in tax_ids
            )
        return label


def _unknown(code: str, detail: str, loc: list[Any]) -> Problem:
    """A reference to something the catalog does not have, pointing at the field."""
    return Problem(code, detail, errors=[{"loc": loc, "msg": code.replace("_", " ")}])


def _price(
    order_in: OrderIn,
    *,
    index: int,
    profile: PosProfile,
    catalog: _Catalog,
    settle: bool = False,
) -> StoredOrder:
    """Price and validate one order against the catalog; raise a problem when it is wrong.

    A line's unit price is the one the ticket carries (the price the customer was charged),
    else the product's current price. ``settle`` (a manager accepting a held order): payments
    that differ from the amount due are taken as paid and the gap becomes the order's
    ``difference`` instead of a ``payment_mismatch``.
    """
    position_id = _position_of(order_in, index=index, catalog=catalog)
    position = catalog.positions[position_id] if position_id is not None else None
    conventions = catalog.conventions
    inputs: list[LineInput] = []
    rung_prices = []  # each line's price as rung, before the fiscal position
    products = []
    for line_index, line in enumerate(order_in.lines):
        product = catalog.products.get(line.product_id)
        if product is None:
            raise _unknown(
                "unknown_product",
                f"Line {line_index + 1}: product {line.product_id} does not exist in this company.",
                ["body", "orders", index, "lines", line_index, "product"],
            )
        products.append(product)
        unit_price = product.price if line.unit_price is None else line.unit_price
        specs = tuple(catalog.specs[pk] for pk in catalog.product_taxes[product.pk])
        rung = LineInput(line.quantity, unit_price, line.discount_percent, specs)
        rung_prices.append(unit_price)
        inputs.append(map_line(rung, position, catalog.specs, conventions.places))
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
        if payment.change and method.kind != PaymentMethod.Kind.CASH:
            loc = ["body", "orders", index, "payments", pay_index]
            raise _no_change(method, payment, loc, conventions.places)
        methods.append(method)

    paid_in_cash = any(m.kind == PaymentMethod.Kind.CASH for m in methods)
    # What the other methods pay when cash pays the rest: only that remainder is rounded.
    cash_after = (
        sum(
            (
                p.amount
                for p, m in zip(order_in.payments, methods, strict=True)
                if m.kind != PaymentMethod.Kind.CASH
            ),
            ZERO,
        )
        if paid_in_cash
        else None
    )
    price = price_order(inputs, conventions=conventions, cash_after=cash_after)
    if abs(price.total) > MAX_ORDER_TOTAL or any(
        abs(line.amount) > MAX_ORDER_TOTAL for line in price.lines
    ):
        raise Problem(
            "validation_error",
            "The order or one of its lines exceeds what a till can take "
            f"({fmt(MAX_ORDER_TOTAL, conventions.places)}).",
        )
    paid = sum((p.amount for p in order_in.payments), ZERO)
    difference = ZERO
    if order_in.state == Order.State.PAID and paid != price.amount_due:
        if not settle:
            raise Problem(
                "payment_mismatch",
                f"Payments total {fmt(paid, conventions.places)} but the amount due is "
                f"{fmt(price.amount_due, conventions.places)}.",
                extra={
                    "amount_due": fmt(price.amount_due, conventions.places),
                    "paid": fmt(paid, conventions.places),
                },
            )
        difference = paid - price.amount_due
    stored = StoredOrder(
        index=index,
        uuid=order_in.uuid,
        customer_id=order_in.customer_id,
        fiscal_position_id=position_id,
        state=order_in.state,
        to_invoice=order_in.to_invoice,
        created_at=order_in.created_at or timezone.now(),
        net_total=price.net_total,
        tax_total=price.tax_total,
        total=price.total,
        rounding=price.rounding,
        amount_due=price.amount_due,
        difference=difference,
    )
    if order_in.number is not None:
        stored.till_id = profile.pk
        stored.sequence = order_in.number
        stored.number = ticket_number(profile.code, order_in.number)
    for line_index, (line, product, line_price, line_input) in enumerate(
        zip(order_in.lines, products, price.lines, inputs, strict=True)
    ):
        charged = catalog.charged
        taxes = tuple(
            StoredLineTax(t.tax_id, *charged[t.tax_id], base=t.base, amount=t.amount)
            for t in line_price.taxes
        )
        stored.lines.append(
            StoredLine(
                product_id=product.pk,
                quantity=line.quantity,
                unit_price=line_input.unit_price,
                list_price=rung_prices[line_index],
                discount_percent=line.discount_percent,
                taxes=taxes,
                tax_label=catalog.tax_label(tuple(t.tax_id for t in taxes)),
                income_account_id=map_account(product.income_account_id, position),
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
                change=payment.change,
            )
        )
    return stored


def _no_change(method: PaymentMethod, payment: PaymentIn, loc: list[Any], places: int) -> Problem:
    """Change is given back only in cash: a payment of another kind tendered above its amount
    is a content error (the order is held)."""
    return Problem(
        "validation_error",
        f"This ticket cannot be booked as sent: payment {loc[-1] + 1} ({method.name}) was "
        f"tendered {fmt(payment.tendered, places)} for {fmt(payment.amount, places)}, but only "
        "cash gives "
        "change back.",
        errors=[{"loc": [*loc, "tendered"], "msg": "only a cash payment gives change back"}],
    )


def _position_of(order_in: OrderIn, *, index: int, catalog: _Catalog) -> int | None:
    """The fiscal position that prices the order: the one the till applied, which must be
    offered by the till or be the customer's; when the order does not say, the customer's
    default position, else the till's."""
    customer_position = catalog.customers.get(order_in.customer_id or 0)
    if order_in.fiscal_position_id == "default":
        return customer_position or catalog.default_position
    chosen = order_in.fiscal_position_id
    if chosen is not None and chosen not in catalog.offered and chosen != customer_position:
        raise _unknown(
            "unknown_fiscal_position",
            f"Fiscal position {chosen} is not offered by this till nor the customer's.",
            ["body", "orders", index, "fiscal_position"],
        )
    return chosen


def _number_orders(
    orders: Sequence[StoredOrder], *, profile: PosProfile, renumber: bool = False
) -> list[tuple[StoredOrder, Problem]]:
    """Check the ticket numbers the till gave and number the paid orders sent without one
    (older terminals, API clients: the next numbers of the till's series, in the order sent),
    under a lock on the till's row, so batches of the till's sessions (its regular and its
    rescue session) number one after the other.

    Returns the orders whose number another ticket of the till already has (stored, or
    earlier in this batch), each with its ``duplicate_number`` problem: the sync holds them.
    ``renumber`` (a manager accepting a held ticket): such an order takes the next number
    instead. Drafts are not numbered: a parked ticket is numbered when it is paid."""
    if not orders:
        return []
    PosProfile.objects.select_for_update().filter(pk=profile.pk).values_list("pk").get()
    numbered = Order.objects.filter(till_id=profile.pk)
    top = numbered.aggregate(top=Max("sequence"))["top"] or 0
    wanted = {o.sequence for o in orders if o.sequence is not None}
    taken: dict[int, uuidlib.UUID] = {}
    if wanted:
        for sequence, order_uuid in numbered.filter(sequence__in=wanted).values_list(
            "sequence", "uuid"
        ):
            taken[int(sequence or 0)] = order_uuid
    clashes: list[tuple[StoredOrder, Problem]] = []
    in_order = sorted(orders, key=lambda o: o.index)
    for o in in_order:
        if o.sequence is None:
            continue
        if o.sequence in taken:
            if renumber:
                o.till_id = o.sequence = o.number = None
            else:
                clashes.append((o, _duplicate_number(o, taken[o.sequence])))
            continue
        taken[o.sequence] = o.uuid
        top = max(top, o.sequence)
    clashing = {id(o) for o, _ in clashes}
    for o in in_order:
        if o.sequence is None and o.state == Order.State.PAID and id(o) not in clashing:
            top += 1
            o.till_id = profile.pk
            o.sequence = top
            o.number = ticket_number(profile.code, top)
    return clashes


def _duplicate_number(order: StoredOrder, other: uuidlib.UUID) -> Problem:
    return Problem(
        "duplicate_number",
        f"This ticket cannot be booked as sent: its number {order.number} is already the "
        f"number of ticket {other} of this till. A manager accepts it (it then takes the "
        "till's next number) or voids it.",
        errors=[
            {
                "loc": ["body", "orders", order.index, "number"],
                "msg": "another ticket of this till has this number",
            }
        ],
        extra={"number": order.number, "order": str(other)},
    )


def _rejected(uuid: str | None, problem: Problem) -> SyncResult:
    return SyncResult(uuid=uuid, status="rejected", error=problem.as_dict())


def _hold(
    index: int, order_uuid: uuidlib.UUID, payload: Any, problem: Problem
) -> HeldIn | SyncResult:
    """Hold an order the server cannot book as sent; a payload no database can store whole
    (NUL characters, lone surrogates, non-finite numbers) is rejected instead."""
    if payload_storable(payload):
        return HeldIn(index=index, uuid=order_uuid, payload=payload, error=problem.as_dict())
    return _rejected(
        str(order_uuid),
        Problem(
            "validation_error",
            f"{problem.detail} The order also holds text or numbers that cannot be stored "
            "(a NUL character, a lone surrogate or a non-finite number).",
            errors=[{"loc": ["body", "orders", index], "msg": "cannot be stored"}],
        ),
    )


def _session_for_sync(session_id: int, user: Any) -> Session:
    session = session_get(session_id)
    session_check_actor(session, user)
    return session


def _target_session(requested: Session) -> tuple[Session, str]:
    """Where the orders sent to ``requested`` go, and their status: the session itself while
    it is in progress, the profile's rescue session once it is closing or closed. A training
    session's late tickets are refused: a rescue session would make them sales."""
    if requested.state in (Session.State.CLOSING_CONTROL, Session.State.CLOSED):
        if requested.training:
            raise Problem(
                "invalid_state",
                f"Training session {requested.name} is {requested.state.replace('_', ' ')}: "
                "its late tickets are not kept (they are no sales; no rescue session takes "
                "them).",
                extra={"state": requested.state, "training": True},
            )
        target = rescue_session_get_or_create(profile=requested.profile, user=requested.user)
        target.profile = requested.profile
        return target, "rescued"
    session_check_state(requested, Session.State.IN_PROGRESS, action="sync orders")
    return requested, "created"


def _held_store(
    holds: Sequence[HeldIn], *, session: Session, requested: Session, user: Any
) -> dict[int, SyncResult]:
    """Write held orders (rare: one row and one audit event each) and answer for each.

    A uuid another batch held meanwhile (another session, on PostgreSQL) is answered with
    that record: the unique index makes this insert wait for the other and then fail."""
    now = timezone.now()
    answers: dict[int, SyncResult] = {}
    for h in holds:
        try:
            with transaction.atomic():
                row = HeldOrder.objects.create(
                    uuid=h.uuid,
                    session=session,
                    requested_session=requested,
                    user=user,
                    received_at=now,
                    payload=h.payload,
                    error=h.error,
                )
        except IntegrityError:
            other = HeldOrder.objects.filter(uuid=h.uuid).values_list("session_id", "error").get()
            answers[h.index] = SyncResult(
                uuid=str(h.uuid), status="held", session=other[0], error=other[1]
            )
            continue
        audit_record(
            user=user,
            action=AuditEvent.Action.ORDER_HELD,
            obj=row,
            session_id=session.pk,
            after={
                "requested_session": requested.pk,
                "code": h.error.get("code"),
                "state": h.payload.get("state", "paid") if isinstance(h.payload, dict) else None,
            },
            detail=str(h.error.get("detail", "")),
        )
        answers[h.index] = SyncResult(
            uuid=str(h.uuid), status="held", session=session.pk, error=h.error
        )
    return answers


def order_sync(*, session_id: int, user: Any, payloads: Sequence[Any]) -> list[SyncResult]:
    """Store a batch of orders for a session, idempotently by ``uuid``.

    Each order is ``created``, ``duplicate`` (its uuid is an order already: nothing changes),
    ``rescued`` (the session is closing or closed: stored in the profile's rescue session),
    ``held`` (it cannot be booked as sent: stored whole with the problem for a manager, in
    no total; a held uuid sent again is ``held`` again, whatever its body) or ``rejected``
    (no terminal could have sent it); one bad order never affects the others. Orders are
    validated and priced before the session is locked, so the lock (on SQLite, the
    database's write lock) is held only to check the state, look the uuids up and write.
    """
    if len(payloads) > MAX_BATCH:
        raise Problem("validation_error", f"At most {MAX_BATCH} orders per batch.")
    results: list[SyncResult | None] = [None] * len(payloads)
    parsed: list[tuple[int, OrderIn]] = []
    holds: dict[int, HeldIn] = {}

    def hold_or_reject(index: int, order_uuid: uuidlib.UUID, problem: Problem) -> None:
        outcome = _hold(index, order_uuid, payloads[index], problem)
        if isinstance(outcome, HeldIn):
            holds[index] = outcome
        else:
            results[index] = outcome

    places = session_places(session_id)
    for index, payload in enumerate(payloads):
        try:
            parsed.append((index, parse_order(payload, index=index, places=places)))
        except OrderContentError as problem:
            hold_or_reject(index, problem.uuid, problem)
        except Problem as problem:
            results[index] = _rejected(order_uuid_of(payload), problem)

    requested = _session_for_sync(session_id, user)
    profile = requested.profile
    catalog = _Catalog(profile, [o for _, o in parsed])
    priced: dict[int, StoredOrder] = {}
    for index, order_in in parsed:
        try:
            priced[index] = _price(order_in, index=index, profile=profile, catalog=catalog)
        except Problem as problem:
            hold_or_reject(index, order_in.uuid, problem)

    with transaction.atomic():
        requested = (
            Session.objects.select_for_update(of=("self",))
            .select_related("profile__store__company", "user")
            .get(pk=session_id)
        )
        session_check_actor(requested, user)
        target, created_status = _target_session(requested)

        # One uuid, one record: a uuid is an order or a held order, never both. Both tables
        # are looked up and written under the session lock (on SQLite, the database's write
        # lock), and each has a unique index. Not covered: one uuid sent to two *different*
        # sessions at the same instant on PostgreSQL, once with a body that books and once
        # with one that is held (no till resends a ticket to another session); both would
        # be stored, and accepting the held one then answers invalid_state.
        uuids = [o.uuid for o in priced.values()] + [h.uuid for h in holds.values()]
        existing = dict(Order.objects.filter(uuid__in=uuids).values_list("uuid", "session_id"))
        held_before: dict[uuidlib.UUID, tuple[int, dict[str, Any]]] = {
            u: (sid, error)
            for u, sid, error in HeldOrder.objects.filter(uuid__in=uuids).values_list(
                "uuid", "session_id", "error"
            )
        }
        fresh: list[StoredOrder] = []
        new_holds: list[HeldIn] = []
        for index in range(len(payloads)):
            if results[index] is not None:
                continue
            item: StoredOrder | HeldIn = priced[index] if index in priced else holds[index]
            if item.uuid in existing:
                results[index] = SyncResult(
                    uuid=str(item.uuid), status="duplicate", session=existing[item.uuid]
                )
            elif item.uuid in held_before:
                held_session, error = held_before[item.uuid]
                results[index] = SyncResult(
                    uuid=str(item.uuid), status="held", session=held_session, error=error
                )
            elif isinstance(item, StoredOrder):
                fresh.append(item)
                existing[item.uuid] = target.pk
            else:
                new_holds.append(item)
                held_before[item.uuid] = (target.pk, item.error)

        # The ticket numbers: checked and given under the till's lock; a number another
        # ticket of the till has is held for a manager.
        for o, clash in _number_orders(fresh, profile=profile):
            fresh.remove(o)
            outcome = _hold(o.index, o.uuid, payloads[o.index], clash)
            if isinstance(outcome, HeldIn):
                new_holds.append(outcome)
            else:
                results[o.index] = outcome

        # Insert in uuid order: two batches sharing uuids then take the unique index's locks
        # in the same order, so one waits for the other instead of deadlocking.
        fresh.sort(key=lambda o: o.uuid)
        try:
            with transaction.atomic():
                orders_insert(fresh, session=target, requested=requested, user=user)
        except IntegrityError:
            # Another batch stored one of these uuids meanwhile: store one by one, so each
            # order that lost the race is a duplicate and the others are still created.
            for o in fresh:
                try:
                    with transaction.atomic():
                        o.pk = None
                        orders_insert([o], session=target, requested=requested, user=user)
                except IntegrityError:
                    other = (
                        Order.objects.filter(uuid=o.uuid)
                        .values_list("session_id", flat=True)
                        .first()
                    )
                    results[o.index] = SyncResult(
                        uuid=str(o.uuid), status="duplicate", session=other
                    )
        new_holds.sort(key=lambda h: h.uuid)
        for index, answer in _held_store(
            new_holds, session=target, requested=requested, user=user
        ).items():
            results[index] = answer
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
    _hide_foreign_sessions(results, user=user, own=target.pk)
    return [r for r in results if r is not None]


def _hide_foreign_sessions(results: Sequence[SyncResult | None], *, user: Any, own: int) -> None:
    """A uuid already stored in another cashier's session says ``duplicate`` (or ``held``)
    without naming that session: a cashier learns nothing of sessions they may not read.
    ``own`` (the session this batch was stored in) is the caller's: no query for it."""
    ids = {r.session for r in results if r is not None and r.session not in (None, own)}
    if not ids:
        return
    visible = {own} | {
        pk
        for pk, owner, store in Session.objects.filter(pk__in=ids).values_list(
            "pk", "user_id", "profile__store_id"
        )
        if owner == user.pk or manages_store(user, store)
    }
    for result in results:
        if result is not None and result.session is not None and result.session not in visible:
            result.session = None


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
        order_voided.send(sender=Order, order=order, session=session)
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


# --- held orders ---------------------------------------------------------------------------


def difference_account(
    *, payments: Sequence[StoredPayment], methods: dict[int, PaymentMethod], session: Session
) -> int:
    """The ledger account that books an accepted held order's difference (paid − due).

    The gap is what the drawer count would have found had the manager voided the ticket, so
    it goes where that count difference would go: the cash-difference G/L account of the
    ticket's first countable payment method. A ticket paid only by methods that are not
    counted (card), or not paid at all, books it on the company's rounding account.
    """
    for payment in payments:
        item = methods[payment.payment_method_id].cash_difference_gl_item
        if item is not None:
            return item.account_id
    account_id = session.profile.store.company.rounding_account_id
    if account_id is None:
        raise Problem(
            "invalid_state",
            "The ticket's payments differ from the amount due, but none of its payment "
            "methods has a cash-difference G/L item and the company has no rounding account "
            "to book the difference on.",
        )
    return account_id


def _lock_session(session_id: int) -> Session:
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("profile__store__company", "user")
        .get(pk=session_id)
    )


def _held_accept(held: HeldOrder, session: Session, user: Any, reason: str) -> None:
    """Book a held order with the server's figures in its session (the rescue session when
    its own is closing or closed), its payments as the till took them, the gap as its
    difference."""
    target = session
    if session.state in (Session.State.CLOSING_CONTROL, Session.State.CLOSED):
        rescue = rescue_session_get_or_create(profile=session.profile, user=session.user)
        target = _lock_session(rescue.pk)
    else:
        session_check_state(session, Session.State.IN_PROGRESS, action="accept a held order")
    if Order.objects.filter(uuid=held.uuid).exists():
        raise Problem("invalid_state", f"Ticket {held.uuid} is already an order.")
    profile = target.profile
    places = profile.store.company.places
    try:
        order_in = parse_order(held.payload, places=places)
        catalog = _Catalog(profile, [order_in])
        stored = _price(order_in, index=0, profile=profile, catalog=catalog, settle=True)
        if stored.difference:
            stored.difference_account_id = difference_account(
                payments=stored.payments, methods=catalog.methods, session=target
            )
        number_sent = stored.number
        _number_orders([stored], profile=profile, renumber=True)
    except Problem as problem:
        raise Problem(
            "invalid_state",
            f"Held order {held.uuid} cannot be booked, even now. {problem.detail} "
            "Void it with a reason instead: the money the till took for it then shows as a "
            "difference when the drawer is counted.",
            extra={"reason": problem.as_dict()},
        ) from None
    try:
        with transaction.atomic():
            orders_insert(
                [stored], session=target, requested=held.requested_session, user=held.user
            )
    except IntegrityError:
        # An order of this uuid was stored meanwhile (sent to another session).
        raise Problem("invalid_state", f"Ticket {held.uuid} is already an order.") from None
    held.state = HeldOrder.State.ACCEPTED
    held.order_id = stored.pk
    held.resolved_by = user
    held.resolved_at = timezone.now()
    held.resolution_reason = reason[:255]
    held.save(update_fields=["state", "order", "resolved_by", "resolved_at", "resolution_reason"])
    paid = sum((p.amount for p in stored.payments), ZERO)
    renumbered = (
        f"; numbered {stored.number} ({number_sent} is another ticket's)"
        if number_sent is not None and number_sent != stored.number
        else ""
    )
    audit_record(
        user=user,
        action=AuditEvent.Action.HELD_ORDER_ACCEPTED,
        obj=held,
        session_id=target.pk,
        before={"state": HeldOrder.State.HELD, "code": held.error.get("code")},
        after={
            "state": held.state,
            "order": stored.pk,
            "session": target.pk,
            "amount_due": stored.amount_due,
            "paid": paid,
            "difference": stored.difference,
            "number": stored.number,
        },
        detail=(
            reason
            or f"Accepted: due {fmt(stored.amount_due, places)}, paid {fmt(paid, places)}, "
            f"difference {fmt(stored.difference, places)}"
        )
        + renumbered,
    )


def held_order_resolve(
    *, uuid: uuidlib.UUID, user: Any, action: str, reason: str = "", approval: str | None = None
) -> HeldOrder:
    """A manager resolves a held order, in one transaction, audited.

    ``accept``: the ticket is booked as an order priced by the server now (with the unit
    prices the ticket carries), with its payments as the till took them; paid − due is
    booked as the order's difference (:func:`difference_account`), so every journal entry
    balances and the money is in the books. A ticket that still cannot be priced (a product
    that never existed) is refused with ``invalid_state``. ``void`` (a reason is required):
    nothing is booked; the money stays in the drawer and the close counts it as a difference.
    The session's cashier may resolve at the till with a manager's ``approval`` (action
    ``held_order``); the approving manager is then the one who resolved it.
    """
    reason = reason.strip()
    if action not in ("accept", "void"):
        raise Problem(
            "validation_error",
            "action must be 'accept' or 'void'.",
            errors=[{"loc": ["body", "action"], "msg": "must be 'accept' or 'void'"}],
        )
    if action == "void" and not reason:
        raise Problem(
            "validation_error",
            "A reason is required to void a held order.",
            errors=[{"loc": ["body", "reason"], "msg": "required"}],
        )
    session_id = HeldOrder.objects.filter(uuid=uuid).values_list("session_id", flat=True).first()
    if session_id is None:
        raise Problem("not_found", f"Held order {uuid} does not exist.")
    with transaction.atomic():
        # The session first, then the held order: the order a close takes its locks in.
        session = _lock_session(session_id)
        if approval is not None and not manages_store(user, session.profile.store_id):
            session_check_actor(session, user)
            user = approval_check(
                session, token=approval, action="held_order", why="Resolving a held order"
            )
        else:
            session_check_manager(session, user, action="resolve a held order")
        held = (
            HeldOrder.objects.select_for_update(of=("self",))
            .select_related("requested_session")
            .get(uuid=uuid)
        )
        if held.state != HeldOrder.State.HELD:
            raise Problem(
                "invalid_state",
                f"Held order {uuid} was already {held.get_state_display().lower()}.",
                extra={"state": held.state},
            )
        if action == "accept":
            _held_accept(held, session, user, reason)
        else:
            held.state = HeldOrder.State.VOIDED
            held.resolved_by = user
            held.resolved_at = timezone.now()
            held.resolution_reason = reason[:255]
            held.save(update_fields=["state", "resolved_by", "resolved_at", "resolution_reason"])
            audit_record(
                user=user,
                action=AuditEvent.Action.HELD_ORDER_VOIDED,
                obj=held,
                session_id=session.pk,
                before={"state": HeldOrder.State.HELD, "code": held.error.get("code")},
                after={"state": held.state},
                detail=reason,
            )
    return held
