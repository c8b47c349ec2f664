"""Session lifecycle writes: create, open with a counted float, rescue sessions.

Each service is one transaction. The close lives in ``opentill.closing.services``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from opentill.accounting.models import FinancialTransaction
from opentill.accounting.services import transaction_create
from opentill.audit.models import AuditEvent
from opentill.audit.services import audit_record
from opentill.common.problems import Problem
from opentill.common.services import sequence_next
from opentill.limits import MAX_COUNT, MAX_DENOMINATION_QUANTITY
from opentill.money import AmountError, check_places, fmt, not_in_places
from opentill.pos.access import (
    approval_check,
    manages_store,
    profile_check_access,
    session_check_actor,
    session_check_state,
)
from opentill.pos.cash_move_plan import (
    CashMoveRefused,
    MethodAccounts,
    check_cash_move_request,
    plan_cash_move,
)
from opentill.pos.counting import (
    CountError,
    CountInput,
    opening_needs_approval,
    resolve_counted,
)
from opentill.pos.models import (
    CashMove,
    CountDenomination,
    PaymentMethod,
    PosProfile,
    Session,
    SessionCount,
)
from opentill.pos.selectors import session_expected_amounts, session_get


def _session_name(profile: PosProfile, *, rescue: bool = False) -> str:
    """TILL1/2026/0007; a rescue session's from a series of its own, TILL1/2026/R0001, so
    the regular sessions' numbers (the Z numbers) stay continuous."""
    year = timezone.localdate().year
    if rescue:
        number = sequence_next(key=f"rescue:{profile.pk}:{year}")
        return f"{profile.code.upper()}/{year}/R{number:04d}"
    number = sequence_next(key=f"session:{profile.pk}:{year}")
    return f"{profile.code.upper()}/{year}/{number:04d}"


def _active_session(profile: PosProfile) -> Session | None:
    return (
        Session.objects.select_related("user")
        .filter(profile=profile, rescue=False)
        .exclude(state=Session.State.CLOSED)
        .first()
    )


def _already_open(profile: PosProfile, session: Session | None) -> Problem:
    extra: dict[str, Any] = {}
    detail = f"The profile {profile.name!r} already has an active session."
    if session is not None:
        extra["session"] = {
            "id": session.pk,
            "name": session.name,
            "state": session.state,
            "user": session.user.get_username(),
        }
        detail = f"The profile {profile.name!r} already has session {session.name} ({session.state}) of {session.user.get_username()}."
    return Problem("session_already_open", detail, extra=extra)


def session_create(*, profile: PosProfile, user: Any, training: bool = False) -> Session:
    """Start a session on ``profile`` for ``user``: ``opening_control`` when the profile
    counts its float, else ``in_progress``. The partial unique index decides races.
    ``training``: a training session (docs/fiscal.md, "Training mode"), for good."""
    profile_check_access(profile, user)
    existing = _active_session(profile)
    if existing is not None:
        raise _already_open(profile, existing)
    try:
        with transaction.atomic():
            now = timezone.now()
            session = Session(
                profile=profile, user=user, name=_session_name(profile), training=training
            )
            if profile.opening_control:
                session.state = Session.State.OPENING_CONTROL
            else:
                session.state = Session.State.IN_PROGRESS
                session.opened_at = now
            session.save()
            audit_record(
                user=user,
                action=AuditEvent.Action.SESSION_CREATED,
                obj=session,
                session_id=session.pk,
                after={
                    "state": session.state,
                    "profile": profile.pk,
                    "user": user.pk,
                    **({"training": True} if training else {}),
                },
            )
    except IntegrityError:
        raise _already_open(profile, _active_session(profile)) from None
    return session


def rescue_session_get_or_create(*, profile: PosProfile, user: Any) -> Session:
    """The profile's open rescue session for late orders, created when there is none.

    Called inside the caller's transaction; on PostgreSQL a concurrent creator makes the
    partial unique index fail, and the savepoint lets us read the winner's session.
    """
    existing = (
        Session.objects.filter(profile=profile, rescue=True)
        .exclude(state=Session.State.CLOSED)
        .first()
    )
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Session.objects.create(
                profile=profile,
                user=user,
                name=_session_name(profile, rescue=True),
                rescue=True,
                state=Session.State.IN_PROGRESS,
                opened_at=timezone.now(),
            )
    except IntegrityError:
        return (
            Session.objects.filter(profile=profile, rescue=True)
            .exclude(state=Session.State.CLOSED)
            .get()
        )


def _count_bounds(
    count: CountInput, loc: list[Any], counted_field: str, places: int
) -> list[dict[str, Any]]:
    """Errors of a count beyond the bounds (opentill.limits) or with more decimals than the
    currency has (``places``), whatever else is wrong with it."""
    errors: list[dict[str, Any]] = []
    amounts: list[tuple[str, list[Any], Decimal | None]] = [
        (counted_field, [], count.counted),
        ("keep", [], count.keep),
    ]
    amounts += [("value", ["denominations", i], r.value) for i, r in enumerate(count.denominations)]
    for what, at, amount in amounts:
        if amount is not None and not_in_places(amount, places):
            errors.append(
                {"loc": [*loc, *at, what], "msg": _too_many_decimals(amount, places, what)}
            )
    if count.counted is not None and abs(count.counted) > MAX_COUNT:
        errors.append(
            {"loc": [*loc, counted_field], "msg": f"a counted amount is at most {fmt(MAX_COUNT)}"}
        )
    if count.keep is not None and abs(count.keep) > MAX_COUNT:
        errors.append({"loc": [*loc, "keep"], "msg": f"cash to keep is at most {fmt(MAX_COUNT)}"})
    for i, row in enumerate(count.denominations):
        if row.quantity > MAX_DENOMINATION_QUANTITY:
            errors.append(
                {
                    "loc": [*loc, "denominations", i, "quantity"],
                    "msg": f"at most {MAX_DENOMINATION_QUANTITY} of one coin or note",
                }
            )
        if abs(row.value) > MAX_COUNT:
            errors.append(
                {
                    "loc": [*loc, "denominations", i, "value"],
                    "msg": f"a coin or note is worth at most {fmt(MAX_COUNT)}",
                }
            )
    return errors


def _too_many_decimals(amount: Decimal, places: int, what: str = "amount") -> str:
    try:
        check_places(amount, places, what)
    except AmountError as exc:
        return str(exc)
    return ""


def counts_match(
    *,
    methods: Sequence[PaymentMethod],
    counts: Sequence[CountInput],
    counted_field: str = "counted",
) -> tuple[dict[int, CountInput], dict[int, Decimal]]:
    """Pair the counts sent with the profile's methods.

    Returns the count input of each method named (a count may carry only a ``keep``) and
    the counted amount of each method actually counted. Refuses unknown methods
    (``unknown_payment_method``), and methods counted twice, counts of non-countable
    methods, totals that disagree with their denomination rows, unknown coins, negative
    amounts and amounts beyond the bounds (``validation_error``, every problem listed;
    ``counted_field`` names the counted amount in the request body).
    """
    by_id = {m.pk: m for m in methods}
    places = methods[0].profile.store.company.places if methods else 2
    given: dict[int, CountInput] = {}
    counted: dict[int, Decimal] = {}
    errors: list[dict[str, Any]] = []
    for index, count in enumerate(counts):
        method = by_id.get(count.payment_method_id)
        loc: list[Any] = ["body", "counts", index]
        if method is None:
            raise Problem(
                "unknown_payment_method",
                f"Payment method {count.payment_method_id} is not a method of this profile.",
            )
        if method.pk in given:
            errors.append(
                {"loc": [*loc, "payment_method"], "msg": f"{method.name} is counted twice"}
            )
            continue
        given[method.pk] = count
        beyond = _count_bounds(count, loc, counted_field, places)
        if beyond:
            errors.extend(beyond)
            continue
        if count.counted is None and not count.denominations:
            continue
        if not method.countable:
            errors.append(
                {
                    "loc": [*loc, "payment_method"],
                    "msg": f"{method.name} is not countable; it is taken as expected",
                }
            )
            continue
        try:
            amount = resolve_counted(
                count, allowed_values=[d.value for d in method.denominations.all()], places=places
            )
        except CountError as exc:
            errors.append({"loc": loc, "msg": str(exc)})
            continue
        if amount < 0:
            errors.append({"loc": loc, "msg": "a counted amount cannot be negative"})
            continue
        if amount > MAX_COUNT:
            errors.append(
                {"loc": loc, "msg": f"the denominations add up to more than {fmt(MAX_COUNT)}"}
            )
            continue
        counted[method.pk] = amount
    if errors:
        raise Problem("validation_error", "; ".join(e["msg"] for e in errors), errors=errors)
    return given, counted


def count_store(
    *,
    session: Session,
    stage: str,
    method: PaymentMethod,
    count: CountInput,
    expected: Any,
    counted: Any,
    user: Any,
    keep: Any = None,
    transferred: Any = None,
    not_counted: bool = False,
    approved_by: Any = None,
) -> SessionCount:
    """Store a count and its denomination rows; ``not_counted``: the amount was taken as
    expected; ``approved_by``: the manager who approved a difference beyond the maximum."""
    row = SessionCount.objects.create(
        session=session,
        payment_method=method,
        stage=stage,
        expected=expected,
        counted=counted,
        difference=counted - expected,
        keep=keep,
        transferred=transferred,
        not_counted=not_counted,
        created_by=user,
        approved_by=approved_by,
    )
    if count.denominations:
        CountDenomination.objects.bulk_create(
            CountDenomination(count=row, value=d.value, quantity=d.quantity)
            for d in count.denominations
        )
    return row


def session_open(
    *,
    session_id: int,
    user: Any,
    counts: Sequence[CountInput],
    notes: str = "",
    approval: str | None = None,
) -> Session:
    """Record the opening count of every countable method and start selling.

    Expected opening = the method's account balance (the cash kept at the last close); a
    difference is booked on the method's cash-difference G/L item, so from now on the
    drawer's balance is the counted float. A difference from a kept float beyond the
    profile's maximum needs a manager: the user is one, or ``approval`` is a manager's approval for
    ``opening_difference`` on this session (consumed here); otherwise ``approval_required``
    and nothing is stored.
    """
    with transaction.atomic():
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("profile", "user")
            .get(pk=session_id)
        )
        session_check_actor(session, user)
        session_check_state(
            session, Session.State.NEW, Session.State.OPENING_CONTROL, action="open the session"
        )
        methods = list(
            session.profile.payment_methods.prefetch_related("denominations").select_related(
                "cash_difference_gl_item"
            )
        )
        given, counted_by_method = counts_match(
            methods=methods, counts=counts, counted_field="amount"
        )
        if session.profile.opening_control:
            missing = [m.name for m in methods if m.countable and m.pk not in counted_by_method]
            if missing:
                raise Problem("count_missing", f"Count required for: {', '.join(missing)}.")
        by_id = {m.pk: m for m in methods}
        validated = {pk: (by_id[pk], given[pk], amount) for pk, amount in counted_by_method.items()}
        expected_amounts = session_expected_amounts(session=session)
        over = {
            method.pk: method.name
            for method, _, counted in validated.values()
            if opening_needs_approval(
                expected=expected_amounts[method.pk],
                counted=counted,
                max_difference=session.profile.max_difference,
            )
        }
        approver = None
        if over and not manages_store(user, session.profile.store_id):
            approver = approval_check(
                session,
                token=approval,
                action="opening_difference",
                why=f"The opening difference of {', '.join(over.values())} exceeds "
                f"the maximum of {fmt(session.profile.max_difference)}",
            )
        for method, count, counted in validated.values():
            expected = expected_amounts[method.pk]
            count_store(
                session=session,
                stage=SessionCount.Stage.OPENING,
                method=method,
                count=count,
                expected=expected,
                counted=counted,
                user=user,
                approved_by=approver if method.pk in over else None,
            )
            if counted != expected and not session.training:  # training moves no cash
                transaction_create(
                    account_id=method.financial_account_id,
                    kind=FinancialTransaction.Kind.OPENING_DIFFERENCE,
                    amount=counted - expected,
                    gl_item=method.cash_difference_gl_item,
                    comment=f"{session.name} opening: expected {fmt(expected)}, counted {fmt(counted)}",
                    session_id=session.pk,
                )
        before = session.state
        session.state = Session.State.IN_PROGRESS
        session.opened_at = timezone.now()
        session.opening_notes = notes
        session.save(update_fields=["state", "opened_at", "opening_notes"])
        audit_record(
            user=user,
            action=AuditEvent.Action.SESSION_OPENED,
            obj=session,
            session_id=session.pk,
            before={"state": before},
            after={
                "state": session.state,
                "counts": {
                    method.name: {"expected": expected_amounts[method.pk], "counted": counted}
                    for method, _, counted in validated.values()
                },
                **({"approved_by": approver.get_username()} if approver else {}),
            },
            detail=notes,
        )
    return session


def _refusal(refused: CashMoveRefused) -> Problem:
    return Problem(refused.code, refused.message, errors=refused.errors, extra=refused.extra)


def cash_move_create(
    *,
    session_id: int,
    user: Any,
    kind: str,
    payment_method_id: int,
    amount: Any,
    destination: str = "",
    reason: str = "",
    uuid: Any = None,
) -> tuple[CashMove, bool]:
    """A drop (cash out to a destination) or a deposit (change in from a source).

    Writes the move on the method's account with its drop or deposit G/L item, and the
    inverse transaction on the destination's (source's) account; the destination's name goes
    into the comment. A drop above what the drawer holds is refused. With a ``uuid`` the
    move is idempotent: sent again, the stored move is returned (``created`` False).
    """
    from opentill.pos.destinations import destinations_for

    try:
        check_cash_move_request(kind, amount)
    except CashMoveRefused as refused:
        raise _refusal(refused) from None
    with transaction.atomic():
        session = session_get(session_id, lock=True)
        session_check_actor(session, user)
        if uuid is not None:
            known = CashMove.objects.filter(uuid=uuid).select_related("created_by").first()
            if known is not None:
                if known.session_id != session.pk:
                    raise Problem(
                        "validation_error", f"Cash move {uuid} belongs to another session."
                    )
                return known, False
        session_check_state(session, Session.State.IN_PROGRESS, action="move cash")
        if session.training:
            raise Problem(
                "invalid_state",
                f"Session {session.name} is a training session: it moves no cash.",
                extra={"training": True},
            )
        if not_in_places(amount, session.places):
            message = _too_many_decimals(amount, session.places)
            raise Problem(
                "validation_error",
                message[:1].upper() + message[1:] + ".",
                errors=[{"loc": ["body", "amount"], "msg": message}],
            )
        method = (
            session.profile.payment_methods.select_related(
                "close_destination", "drop_gl_item", "deposit_gl_item"
            )
            .filter(pk=payment_method_id)
            .first()
        )
        if method is None:
            raise Problem(
                "unknown_payment_method",
                f"Payment method {payment_method_id} is not a method of this profile.",
            )
        try:
            plan = plan_cash_move(
                kind=kind,
                amount=amount,
                method=MethodAccounts(
                    name=method.name,
                    account_id=method.financial_account_id,
                    drop_gl_item_id=method.drop_gl_item_id,
                    deposit_gl_item_id=method.deposit_gl_item_id,
                ),
                options=destinations_for(profile=session.profile, kind=kind, method=method),
                destination=destination,
                available=session_expected_amounts(session=session)[method.pk],
                session_name=session.name,
                reason=reason,
                places=session.places,
            )
        except CashMoveRefused as refused:
            raise _refusal(refused) from None
        gl_items = {g.pk: g for g in (method.drop_gl_item, method.deposit_gl_item) if g}
        for planned in plan.transactions:
            transaction_create(
                account_id=planned.account_id,
                kind=kind,
                amount=planned.amount,
                gl_item=gl_items[planned.gl_item_id],
                comment=plan.comment,
                session_id=session.pk,
            )
        move = CashMove.objects.create(
            uuid=uuid,
            session=session,
            payment_method=method,
            kind=kind,
            amount=amount,
            destination=plan.destination,
            destination_account_id=plan.destination_account_id,
            reason=reason[:255],
            created_by=user,
        )
        audit_record(
            user=user,
            action=AuditEvent.Action.CASH_MOVED,
            obj=move,
            session_id=session.pk,
            after={
                "kind": kind,
                "payment_method": method.name,
                "amount": amount,
                "destination": plan.destination,
            },
            detail=reason,
        )
        return move, True
