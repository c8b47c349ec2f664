"""The cash move plan: what a drop or a deposit books, decided from plain values. Pure: no
Django.

A drop takes cash out of the drawer to a destination; a deposit brings change in from a
source. Given the kind, the amount, the method's account and G/L items, the destinations
offered, the one asked for and what the drawer holds, :func:`plan_cash_move` decides the
destination, the two transactions (the drawer's account and the destination's, with
opposite signs and the same G/L item) and their comment, or refuses with a stable code.
:func:`check_cash_move_request` refuses a bad kind or amount before anything is loaded.
``opentill.pos.services.cash_move_create`` loads the inputs, calls both and writes the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from opentill.limits import MAX_AMOUNT, MAX_BALANCE
from opentill.money import MONEY_PLACES, fmt

DROP = "drop"
DEPOSIT = "deposit"
KINDS = (DROP, DEPOSIT)


class CashMoveRefused(ValueError):
    """A cash move that cannot be made; ``code``, ``errors`` and ``extra`` are those of the
    problem document the service answers with."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors
        self.extra = extra or {}


class DestinationLike(Protocol):
    """A destination (drop) or source (deposit): ``pos.destinations.Destination``."""

    @property
    def name(self) -> str: ...

    @property
    def financial_account_id(self) -> int: ...


@dataclass(frozen=True)
class MethodAccounts:
    """The payment method a move is made in: its drawer account and G/L items."""

    name: str
    account_id: int
    drop_gl_item_id: int | None
    deposit_gl_item_id: int | None


@dataclass(frozen=True)
class PlannedMove:
    account_id: int
    amount: Decimal  # positive deposit, negative withdrawal
    gl_item_id: int


@dataclass(frozen=True)
class CashMovePlan:
    kind: str
    amount: Decimal
    destination: str  # the destination's (source's) name
    destination_account_id: int
    comment: str
    # The drawer's transaction first, then the destination's (the inverse).
    transactions: tuple[PlannedMove, PlannedMove]
    available_after: Decimal


def check_cash_move_request(
    kind: str, amount: Decimal, *, max_amount: Decimal = MAX_AMOUNT
) -> None:
    """Refuse a kind that is neither drop nor deposit, or an amount not in (0, max_amount]."""
    if kind not in KINDS:
        raise CashMoveRefused(
            "validation_error",
            "kind must be 'drop' or 'deposit'.",
            errors=[{"loc": ["body", "kind"], "msg": "drop or deposit"}],
        )
    if amount <= 0:
        raise CashMoveRefused(
            "validation_error",
            "The amount must be positive.",
            errors=[{"loc": ["body", "amount"], "msg": "must be > 0"}],
        )
    if amount > max_amount:
        raise CashMoveRefused(
            "validation_error",
            f"A cash move is at most {fmt(max_amount)}.",
            errors=[{"loc": ["body", "amount"], "msg": f"must be <= {fmt(max_amount)}"}],
        )


def plan_cash_move(
    *,
    kind: str,
    amount: Decimal,
    method: MethodAccounts,
    options: Sequence[DestinationLike],
    destination: str,
    available: Decimal,
    session_name: str,
    reason: str = "",
    max_amount: Decimal = MAX_AMOUNT,
    max_balance: Decimal = MAX_BALANCE,
    places: int = MONEY_PLACES,
) -> CashMovePlan:
    """Decide a drop or deposit of ``amount`` in ``method`` (the drawer holds ``available``).

    ``destination`` names one of ``options``; empty, the first option is taken. A drop above
    ``available`` is refused (``insufficient_cash``), and so is a move that takes the drawer
    beyond ``max_balance`` (a move back towards it is always allowed). Amounts in messages
    have ``places`` decimals, the currency's.
    """
    check_cash_move_request(kind, amount, max_amount=max_amount)
    gl_item_id = method.drop_gl_item_id if kind == DROP else method.deposit_gl_item_id
    if gl_item_id is None:
        raise CashMoveRefused(
            "validation_error",
            f"{method.name} has no G/L item for cash {kind}s.",
            errors=[{"loc": ["body", "payment_method"], "msg": f"no {kind} G/L item"}],
        )
    if not options:
        raise CashMoveRefused(
            "validation_error", f"No {kind} destination is configured for this profile."
        )
    chosen = (
        next((d for d in options if d.name == destination), None) if destination else options[0]
    )
    if chosen is None:
        raise CashMoveRefused(
            "validation_error",
            f"Unknown {kind} destination {destination!r}; choose one of: {', '.join(d.name for d in options)}.",
            errors=[{"loc": ["body", "destination"], "msg": "unknown destination"}],
        )
    if chosen.financial_account_id == method.account_id:
        raise CashMoveRefused(
            "validation_error", "A cash move cannot go to the drawer's own account."
        )
    if kind == DROP and amount > available:
        raise CashMoveRefused(
            "insufficient_cash",
            f"Cannot drop {fmt(amount, places)}: the drawer holds {fmt(available, places)} of "
            f"{method.name}.",
            extra={"available": fmt(available, places)},
        )
    sign = -1 if kind == DROP else 1
    after = available + sign * amount
    # No sum a session holds may overflow: a move never takes the drawer beyond the balance
    # bound (a move back towards it is always allowed).
    if abs(after) > max_balance and abs(after) > abs(available):
        raise CashMoveRefused(
            "validation_error",
            f"Cannot {kind} {fmt(amount, places)}: {method.name} would then hold "
            f"{fmt(after, places)}, beyond the limit of {fmt(max_balance, places)} a drawer "
            "may hold.",
            errors=[
                {
                    "loc": ["body", "amount"],
                    "msg": f"the drawer may hold at most {fmt(max_balance, places)}",
                }
            ],
            extra={
                "available": fmt(available, places),
                "max_balance": fmt(max_balance, places),
            },
        )
    preposition = "to" if kind == DROP else "from"
    comment = f"{session_name} {kind} {preposition} {chosen.name}" + (
        f": {reason}" if reason else ""
    )
    return CashMovePlan(
        kind=kind,
        amount=amount,
        destination=chosen.name,
        destination_account_id=chosen.financial_account_id,
        comment=comment,
        transactions=(
            PlannedMove(method.account_id, sign * amount, gl_item_id),
            PlannedMove(chosen.financial_account_id, -sign * amount, gl_item_id),
        ),
        available_after=after,
    )
