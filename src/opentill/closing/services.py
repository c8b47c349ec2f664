"""How a session is closed: close, validate, force close, partial close (X).

Every close goes through :func:`_post`, one database transaction that books the closing
plan (``closing_plan.plan_close``), reconciles the accounts, consolidates invoices, posts
the journal entry, moves stock when deferred and marks the session closed. The session row
is locked first and its state checked again, so a second close (even a simultaneous one)
finds it closed and posts nothing. This is the closing context: it sits above orders,
invoicing and reports (it reads the session's orders and consolidates its invoices);
the sessions and counts it writes are pos's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from opentill.accounting.models import FinancialTransaction, JournalEntry
from opentill.accounting.postings import session_postings
from opentill.accounting.selectors import session_movements
from opentill.accounting.services import journal_entry_create, reconciliation_create
from opentill.audit.models import AuditEvent
from opentill.audit.services import audit_record
from opentill.catalog.models import StockMove
from opentill.common.problems import Problem
from opentill.invoicing.rules import RuleNotFound
from opentill.invoicing.services import invoices_consolidate
from opentill.money import fmt
from opentill.orders.models import Order, OrderLine
from opentill.orders.selectors import SOLD, held_uuids_unresolved, session_sold
from opentill.pos.access import (
    FORCE_CLOSE,
    VALIDATE_CLOSING,
    approval_check,
    manages_store,
    session_check_actor,
    session_check_manager,
    session_check_state,
)
from opentill.pos.closing_plan import ClosingError, ClosingPlan, MethodInput, plan_close
from opentill.pos.counting import CountInput
from opentill.pos.models import PaymentMethod, PosProfile, Session, SessionCount
from opentill.pos.selectors import session_expected_amounts, session_get
from opentill.pos.services import count_store, counts_match
from opentill.pos.signals import session_close_booked, session_closed


@dataclass(frozen=True)
class CloseResult:
    session: Session
    plan: ClosingPlan
    approved_by: Any = None  # the manager whose approval let a difference through


def _lock(session_id: int) -> Session:
    return session_get(session_id, lock=True)


def _methods(profile: PosProfile) -> list[PaymentMethod]:
    return list(
        profile.payment_methods.select_related(
            "financial_account", "close_destination"
        ).prefetch_related("denominations")
    )


def _check_no_drafts(session: Session) -> None:
    drafts = list(
        Order.objects.filter(session=session, state=Order.State.DRAFT).values_list(
            "uuid", flat=True
        )[:20]
    )
    if drafts:
        raise Problem(
            "pending_orders",
            f"Session {session.name} still has draft orders; void them or pay them first.",
            extra={"pending_orders": [str(u) for u in drafts]},
        )


def _check_no_held(session: Session) -> None:
    """Held orders are tickets the till was paid for and the books do not hold yet: a
    manager accepts or voids each one before the session can be closed."""
    held = held_uuids_unresolved(session_id=session.pk)
    if held:
        raise Problem(
            "held_orders",
            f"Session {session.name} has {len(held)} held order(s) waiting for a manager; "
            "accept or void each one first.",
            extra={"held_orders": held},
        )


def _method_inputs(
    methods: Sequence[PaymentMethod], expected: dict[int, Decimal], counts: Sequence[CountInput]
) -> tuple[list[MethodInput], dict[int, CountInput]]:
    """Match the counts to the profile's methods (``counted`` None where nothing was counted;
    the plan decides what an uncounted method is taken to hold)."""
    given, counted = counts_match(methods=methods, counts=counts)
    inputs = []
    for m in methods:
        value = counted.get(m.pk)
        inputs.append(
            MethodInput(
                method_id=m.pk,
                name=m.name,
                account_id=m.financial_account_id,
                countable=m.countable,
                expected=expected[m.pk],
                counted=value,
                keep_policy=m.keep_policy,
                keep_amount=m.keep_amount,
                keep_requested=given[m.pk].keep if m.pk in given else None,
                destination_account_id=m.close_destination_id,
                difference_gl_item_id=m.cash_difference_gl_item_id,
                transfer_gl_item_id=m.transfer_gl_item_id,
            )
        )
    return inputs, given


def _plan(
    session: Session,
    inputs: Sequence[MethodInput],
    *,
    manager: bool,
    take_expected: bool = False,
) -> ClosingPlan:
    try:
        return plan_close(
            inputs,
            session_name=session.name,
            max_difference=session.profile.max_difference,
            approver_is_manager=manager,
            keep_nothing=session.rescue,
            take_expected=take_expected,
            places=session.places,
        )
    except ClosingError as exc:
        raise Problem(exc.code, str(exc)) from None


def _store_counts(
    session: Session,
    plan: ClosingPlan,
    methods: Sequence[PaymentMethod],
    given: dict[int, CountInput],
    user: Any,
    approved_by: Any = None,
) -> None:
    SessionCount.objects.filter(session=session, stage=SessionCount.Stage.CLOSING).delete()
    by_id = {m.pk: m for m in methods}
    approved = set(plan.over_limit) if approved_by is not None else set()
    for result in plan.methods:
        count_store(
            session=session,
            stage=SessionCount.Stage.CLOSING,
            method=by_id[result.method_id],
            count=given.get(result.method_id) or CountInput(result.method_id, result.counted),
            expected=result.expected,
            counted=result.counted,
            keep=result.keep,
            transferred=result.transfer,
            user=user,
            not_counted=result.not_counted,
            approved_by=approved_by if result.method_id in approved else None,
        )


def _audit(
    session: Session,
    user: Any,
    action: str,
    before: str,
    plan: ClosingPlan,
    detail: str,
    approved_by: Any = None,
) -> None:
    audit_record(
        user=user,
        action=action,
        obj=session,
        session_id=session.pk,
        before={"state": before},
        after={
            "state": session.state,
            "counts": {
                m.name: {
                    "expected": m.expected,
                    "counted": m.counted,
                    "difference": m.difference,
                    "keep": m.keep,
                    "transferred": m.transfer,
                    **({"not_counted": True} if m.not_counted else {}),
                }
                for m in plan.methods
            },
            **({"approved_by": approved_by.get_username()} if approved_by else {}),
        },
        detail=detail,
    )


def _post(session: Session, plan: ClosingPlan, user: Any) -> None:
    """Book the plan: transactions, reconciliations, invoices, journal entry, stock, state.
    A training session books nothing: only its state (and its Z in the fiscal journal)."""
    if not session.training:
        _book(session, plan)
    _closed(session, user)


def _book(session: Session, plan: ClosingPlan) -> None:
    FinancialTransaction.objects.bulk_create(
        FinancialTransaction(
            account_id=t.account_id,
            kind=t.kind,
            amount=t.amount,
            gl_item_id=t.gl_item_id,
            comment=t.comment[:255],
            session=session,
        )
        for t in plan.transactions
    )
    session_scope = (
        Q(session=session) if session.rescue else Q(session=session) | Q(session__isnull=True)
    )
    method_accounts = {m.account_id for m in plan.transactions} | set(
        session.profile.payment_methods.values_list("financial_account_id", flat=True)
    )
    destination_accounts = set(
        FinancialTransaction.objects.filter(session=session, reconciliation__isnull=True)
        .exclude(account_id__in=method_accounts)
        .values_list("account_id", flat=True)
        .distinct()
    )
    for account_id in sorted(method_accounts):
        reconciliation_create(
            account_id=account_id,
            transactions=FinancialTransaction.objects.filter(session_scope),
            session_id=session.pk,
        )
    for account_id in sorted(destination_accounts):
        reconciliation_create(
            account_id=account_id,
            transactions=FinancialTransaction.objects.filter(session=session),
            session_id=session.pk,
        )

    try:
        invoices_consolidate(session=session)
    except RuleNotFound as exc:
        raise Problem("invalid_state", str(exc)) from None

    per_session = session.profile.posting_mode == PosProfile.PostingMode.PER_SESSION
    journal_entry_create(
        kind=JournalEntry.Kind.SESSION,
        reference=f"{session.name} close",
        postings=session_postings(
            sold=session_sold(
                session_id=session.pk,
                rounding_account_id=session.profile.store.company.rounding_account_id,
                receivable_account_id=session.profile.store.company.receivable_account_id,
            )
            if per_session
            else None,
            movements=session_movements(session_id=session.pk),
        ),
        session_id=session.pk,
    )

    if session.profile.stock_mode == PosProfile.StockMode.AT_CLOSE:
        moved = (
            OrderLine.objects.filter(
                order__session=session, order__state__in=SOLD, product__stock_tracked=True
            )
            .values("product_id")
            .annotate(quantity=Sum("quantity"))
            .order_by("product_id")
            .values_list("product_id", "quantity")
        )
        StockMove.objects.bulk_create(
            StockMove(
                store_id=session.profile.store_id,
                product_id=product_id,
                quantity=-quantity,
                session=session,
            )
            for product_id, quantity in moved
            if quantity
        )


def _closed(session: Session, user: Any) -> None:
    session.state = Session.State.CLOSED
    session.closed_at = timezone.now()
    session.closed_by = user
    session.save(
        update_fields=[
            "state",
            "closed_at",
            "closed_by",
            "closing_notes",
            "closing_started_at",
            "force_close_reason",
        ]
    )
    session_close_booked.send(sender=Session, session=session, user=user)
    # Once committed, announce the close (the reports app prints the Z report in the
    # background): a printer problem never blocks or undoes the close.
    transaction.on_commit(
        partial(session_closed.send, sender=Session, session_id=session.pk), robust=True
    )


def session_close(
    *,
    session_id: int,
    user: Any,
    counts: Sequence[CountInput],
    notes: str = "",
    approval: str | None = None,
) -> CloseResult:
    """Count and close. When a difference exceeds the profile's maximum and the user is not
    a manager, the session stops in ``closing_control`` (nothing posted) unless
    ``approval`` is a manager's approval for ``closing_difference`` on this session: it is
    consumed and the close posts (an invalid one: ``approval_required``, nothing stored)."""
    with transaction.atomic():
        session = _lock(session_id)
        if session.rescue:
            # Late orders nobody counted: a manager closes them, counted = expected unless
            # a count is given, and their pending tickets are voided.
            session_check_manager(session, user, action="close a rescue session")
            Order.objects.filter(session=session, state=Order.State.DRAFT).update(
                state=Order.State.VOID, void_reason="Rescue session closed"
            )
        else:
            session_check_actor(session, user)
        session_check_state(session, Session.State.IN_PROGRESS, action="close the session")
        _check_no_drafts(session)
        _check_no_held(session)
        methods = _methods(session.profile)
        inputs, given = _method_inputs(methods, session_expected_amounts(session=session), counts)
        plan = _plan(
            session,
            inputs,
            manager=manages_store(user, session.profile.store_id),
            take_expected=session.rescue,
        )
        approver = None
        if plan.needs_approval and approval:
            over = ", ".join(m.name for m in plan.methods if m.method_id in plan.over_limit)
            approver = approval_check(
                session,
                token=approval,
                action="closing_difference",
                why=f"The closing difference of {over} exceeds the maximum of "
                f"{fmt(session.profile.max_difference, session.places)}",
            )
            plan = _plan(session, inputs, manager=True, take_expected=session.rescue)
        _store_counts(session, plan, methods, given, user, approved_by=approver)
        session.closing_started_at = timezone.now()
        session.closing_notes = notes
        if plan.needs_approval:
            session.state = Session.State.CLOSING_CONTROL
            session.save(update_fields=["state", "closing_started_at", "closing_notes"])
            action = AuditEvent.Action.SESSION_CLOSING_CONTROL
        else:
            _post(session, plan, user)
            action = AuditEvent.Action.SESSION_CLOSED
        _audit(session, user, action, Session.State.IN_PROGRESS, plan, notes, approver)
    return CloseResult(session, plan, approver)


def _stored_inputs(
    session: Session, methods: Sequence[PaymentMethod]
) -> tuple[list[MethodInput], dict[int, CountInput]]:
    stored = {
        c.payment_method_id: c for c in session.counts.filter(stage=SessionCount.Stage.CLOSING)
    }
    counts = [
        CountInput(
            payment_method_id=c.payment_method_id,
            counted=c.counted if c.payment_method.countable and not c.not_counted else None,
            keep=c.keep,
        )
        for c in stored.values()
    ]
    return _method_inputs(methods, session_expected_amounts(session=session), counts)


def session_validate_closing(*, session_id: int, user: Any, notes: str = "") -> CloseResult:
    """A manager approves the counts of a session waiting in ``closing_control`` and posts it."""
    with transaction.atomic():
        session = _lock(session_id)
        session_check_manager(
            session, user, action="validate a closing", permission=VALIDATE_CLOSING
        )
        session_check_state(session, Session.State.CLOSING_CONTROL, action="validate the closing")
        _check_no_held(session)
        methods = _methods(session.profile)
        inputs, _ = _stored_inputs(session, methods)
        plan = _plan(session, inputs, manager=True, take_expected=True)
        if notes:
            session.closing_notes = "\n".join(
                filter(None, [session.closing_notes, f"Validated: {notes}"])
            )
        _post(session, plan, user)
        _audit(
            session,
            user,
            AuditEvent.Action.SESSION_VALIDATED,
            Session.State.CLOSING_CONTROL,
            plan,
            notes,
        )
    return CloseResult(session, plan)


def session_force_close(
    *, session_id: int, user: Any, reason: str, counts: Sequence[CountInput] | None = None
) -> CloseResult:
    """A manager closes a session that cannot be closed normally (crashed terminal, stuck
    closing): pending tickets are voided, uncounted methods are taken as expected (never
    below zero) and marked not counted."""
    if not reason.strip():
        raise Problem(
            "validation_error",
            "A reason is required to force-close a session.",
            errors=[{"loc": ["body", "reason"], "msg": "required"}],
        )
    with transaction.atomic():
        session = _lock(session_id)
        session_check_manager(session, user, action="force-close a session", permission=FORCE_CLOSE)
        session_check_state(
            session,
            Session.State.OPENING_CONTROL,
            Session.State.IN_PROGRESS,
            Session.State.CLOSING_CONTROL,
            action="force-close the session",
        )
        _check_no_held(session)
        Order.objects.filter(session=session, state=Order.State.DRAFT).update(
            state=Order.State.VOID, void_reason=f"Force close: {reason}"[:255]
        )
        methods = _methods(session.profile)
        # Without new counts, a session waiting in closing control keeps the cashier's
        # counts (with their denomination rows); otherwise the given or expected amounts.
        keep_stored = counts is None and session.state == Session.State.CLOSING_CONTROL
        if keep_stored:
            inputs, given = _stored_inputs(session, methods)
        else:
            inputs, given = _method_inputs(
                methods, session_expected_amounts(session=session), counts or []
            )
        plan = _plan(session, inputs, manager=True, take_expected=True)
        if not keep_stored:
            _store_counts(session, plan, methods, given, user)
        session.closing_started_at = session.closing_started_at or timezone.now()
        session.force_close_reason = reason
        before = session.state
        _post(session, plan, user)
        _audit(session, user, AuditEvent.Action.SESSION_FORCE_CLOSED, before, plan, reason)
    return CloseResult(session, plan)


def session_partial_close(
    *, session_id: int, user: Any, counts: Sequence[CountInput]
) -> list[SessionCount]:
    """X: record counts of some or all countable methods without ending the session."""
    with transaction.atomic():
        session = _lock(session_id)
        session_check_actor(session, user)
        session_check_state(session, Session.State.IN_PROGRESS, action="take a partial close")
        methods = _methods(session.profile)
        expected = session_expected_amounts(session=session)
        inputs, given = _method_inputs(methods, expected, counts)
        by_id = {m.pk: m for m in methods}
        rows = []
        for item in inputs:
            if item.counted is None or not item.countable:
                continue
            rows.append(
                count_store(
                    session=session,
                    stage=SessionCount.Stage.PARTIAL,
                    method=by_id[item.method_id],
                    count=given[item.method_id],
                    expected=item.expected,
                    counted=item.counted,
                    user=user,
                )
            )
        audit_record(
            user=user,
            action=AuditEvent.Action.SESSION_COUNTED,
            obj=session,
            session_id=session.pk,
            after={
                r.payment_method.name: {"expected": r.expected, "counted": r.counted} for r in rows
            },
        )
    return rows
