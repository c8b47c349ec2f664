"""The closing plan: what a cash close books, computed from plain values. Pure: no Django.

Given, per payment method, what the system expects and what was counted, it decides the
difference, the cash to keep, the transfer to the close destination, whether a manager
must approve, and the financial transactions to write. ``opentill.closing.services``
loads the inputs, calls :func:`plan_close` and writes the result in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from opentill.money import MONEY_PLACES, ZERO, fmt

KEEP_NONE = "none"
KEEP_ALL = "all"
KEEP_FIXED = "fixed"
KEEP_VARIABLE = "variable"


class ClosingError(ValueError):
    """Counts that cannot be closed: a missing count, a keep above what was counted…"""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class MethodInput:
    method_id: int
    name: str
    account_id: int
    countable: bool
    expected: Decimal
    # None: not counted; a method that is not countable, or any method when the plan takes
    # uncounted amounts (force close, rescue close), is then taken as expected.
    counted: Decimal | None
    keep_policy: str
    keep_amount: Decimal  # for the fixed policy
    keep_requested: Decimal | None  # for the variable policy
    destination_account_id: int | None
    difference_gl_item_id: int | None
    transfer_gl_item_id: int | None


@dataclass(frozen=True)
class MethodResult:
    method_id: int
    name: str
    countable: bool
    expected: Decimal
    counted: Decimal
    difference: Decimal
    keep: Decimal
    transfer: Decimal
    not_counted: bool = False  # a countable method taken as expected, not counted


@dataclass(frozen=True)
class PlannedTransaction:
    account_id: int
    kind: str  # "difference" or "transfer"
    amount: Decimal  # positive deposit, negative withdrawal
    gl_item_id: int | None
    comment: str
    method_id: int


@dataclass(frozen=True)
class ClosingPlan:
    methods: tuple[MethodResult, ...]
    transactions: tuple[PlannedTransaction, ...]
    needs_approval: bool
    over_limit: tuple[int, ...]  # method ids whose difference exceeds the maximum

    @property
    def expected_total(self) -> Decimal:
        return sum((m.expected for m in self.methods), ZERO)

    @property
    def counted_total(self) -> Decimal:
        return sum((m.counted for m in self.methods), ZERO)

    @property
    def difference_total(self) -> Decimal:
        return sum((m.difference for m in self.methods), ZERO)


def cash_to_keep(
    *,
    policy: str,
    counted: Decimal,
    fixed: Decimal,
    requested: Decimal | None,
    name: str = "",
    places: int = MONEY_PLACES,
) -> Decimal:
    """How much of ``counted`` stays in the drawer as the next session's float (amounts in
    messages with ``places`` decimals, the currency's)."""
    if policy == KEEP_NONE:
        return ZERO
    if policy == KEEP_ALL:
        return counted
    if policy == KEEP_FIXED:
        return max(ZERO, min(fixed, counted))
    if policy == KEEP_VARIABLE:
        keep = requested if requested is not None else ZERO
        if keep < 0:
            raise ClosingError("validation_error", f"{name}: cash to keep cannot be negative")
        # A non-countable method can end below zero (more refunds than payments): keeping
        # nothing is then allowed, and the transfer brings its account back to zero.
        if keep > max(counted, ZERO):
            raise ClosingError(
                "keep_exceeds_counted",
                f"{name}: cannot keep {fmt(keep, places)}, only {fmt(counted, places)} was counted",
            )
        return keep
    raise ClosingError("validation_error", f"{name}: unknown cash-to-keep policy {policy!r}")


def _keep_rule(m: MethodInput, keep_nothing: bool, places: int) -> str:
    """Why a method's cash to keep is not the cashier's to choose."""
    if keep_nothing:
        return "a rescue session keeps nothing"
    if m.destination_account_id is None:
        return "the method has no close destination: everything counted stays"
    rule = {
        KEEP_NONE: "the method keeps nothing",
        KEEP_ALL: "the method keeps everything counted",
        KEEP_FIXED: f"the method keeps a fixed float of {fmt(m.keep_amount, places)}",
    }.get(m.keep_policy, f"the method's policy is {m.keep_policy!r}")
    return rule


def uncounted_amount(expected: Decimal) -> Decimal:
    """What a countable method nobody counted is taken to hold: its expected amount, but never
    less than nothing. A drawer cannot hold negative cash (refunds and negative cash payments
    can drive the expected amount below zero), so the difference is then booked."""
    return max(expected, ZERO)


def plan_close(
    methods: Sequence[MethodInput],
    *,
    session_name: str,
    max_difference: Decimal,
    approver_is_manager: bool,
    keep_nothing: bool = False,
    take_expected: bool = False,
    places: int = MONEY_PLACES,
) -> ClosingPlan:
    """Decide every figure of the close.

    ``keep_nothing`` is set for rescue sessions: their late payments are transferred whole,
    so they never change the float the next session expects. ``take_expected`` (force
    close, rescue close): a countable method without a count is taken as
    :func:`uncounted_amount` and marked ``not_counted``, instead of refusing the close.
    ``places``: the decimals of the currency, for the amounts in messages and comments.
    """
    results: list[MethodResult] = []
    transactions: list[PlannedTransaction] = []
    over: list[int] = []
    for m in methods:
        not_counted = False
        if m.countable and m.counted is None and take_expected:
            counted = uncounted_amount(m.expected)
            not_counted = True
        elif m.countable:
            if m.counted is None:
                raise ClosingError("count_missing", f"{m.name} must be counted")
            if m.counted < 0:
                raise ClosingError(
                    "validation_error", f"{m.name}: a counted amount cannot be negative"
                )
            counted = m.counted
        else:
            # Not countable (card, voucher): informational, taken as expected.
            counted = m.expected
        difference = counted - m.expected
        chosen = (
            m.keep_policy == KEEP_VARIABLE and m.destination_account_id is not None
        ) and not keep_nothing
        if m.destination_account_id is None:
            keep = counted  # nowhere to transfer to: everything stays
        elif keep_nothing:
            keep = ZERO
        else:
            keep = cash_to_keep(
                policy=m.keep_policy,
                counted=counted,
                fixed=m.keep_amount,
                requested=m.keep_requested,
                name=m.name,
                places=places,
            )
        if not chosen and m.keep_requested is not None and m.keep_requested != keep:
            # The cashier asked for an amount the close would not use: say so, never drop
            # it (the same amount the policy gives is an echo, and welcome).
            raise ClosingError(
                "keep_not_chosen",
                f"{m.name}: cannot keep {fmt(m.keep_requested, places)}, "
                f"{_keep_rule(m, keep_nothing, places)} ({fmt(keep, places)} here)",
            )
        transfer = counted - keep
        if abs(difference) > max_difference:
            over.append(m.method_id)
        if difference != 0:
            transactions.append(
                PlannedTransaction(
                    account_id=m.account_id,
                    kind="difference",
                    amount=difference,
                    gl_item_id=m.difference_gl_item_id,
                    comment=f"{session_name} close: expected {fmt(m.expected, places)}, "
                    f"counted {fmt(counted, places)}",
                    method_id=m.method_id,
                )
            )
        if transfer != 0 and m.destination_account_id is not None:
            comment = f"{session_name} close: {m.name} transfer"
            transactions.append(
                PlannedTransaction(
                    m.account_id, "transfer", -transfer, m.transfer_gl_item_id, comment, m.method_id
                )
            )
            transactions.append(
                PlannedTransaction(
                    m.destination_account_id,
                    "transfer",
                    transfer,
                    m.transfer_gl_item_id,
                    comment,
                    m.method_id,
                )
            )
        results.append(
            MethodResult(
                method_id=m.method_id,
                name=m.name,
                countable=m.countable,
                expected=m.expected,
                counted=counted,
                difference=difference,
                keep=keep,
                transfer=transfer,
                not_counted=not_counted,
            )
        )
    return ClosingPlan(
        methods=tuple(results),
        transactions=tuple(transactions),
        needs_approval=bool(over) and not approver_is_manager,
        over_limit=tuple(over),
    )
