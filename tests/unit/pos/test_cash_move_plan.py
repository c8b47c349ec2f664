"""The cash move plan: worked examples with hand-written numbers, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opentill.pos.cash_move_plan import (
    CashMoveRefused,
    MethodAccounts,
    PlannedMove,
    check_cash_move_request,
    plan_cash_move,
)
from opentill.pos.destinations import Destination

D = Decimal
DRAWER, SAFE, BANK = 11, 21, 22
DROP_ITEM, DEPOSIT_ITEM = 31, 32
CASH = MethodAccounts(
    name="Cash", account_id=DRAWER, drop_gl_item_id=DROP_ITEM, deposit_gl_item_id=DEPOSIT_ITEM
)
OPTIONS = [Destination("Safe", SAFE), Destination("Bank", BANK)]


def plan(**changes: object) -> object:
    args: dict[str, object] = {
        "kind": "drop",
        "amount": D("50.00"),
        "method": CASH,
        "options": OPTIONS,
        "destination": "",
        "available": D("120.00"),
        "session_name": "POS1/0007",
        "reason": "",
    }
    args.update(changes)
    return plan_cash_move(**args)  # type: ignore[arg-type]


def refusal(**changes: object) -> CashMoveRefused:
    with pytest.raises(CashMoveRefused) as caught:
        plan(**changes)
    return caught.value


def test_drop_takes_cash_out_of_the_drawer_into_the_destination() -> None:
    # 120.00 in the drawer, 50.00 dropped to the safe: the drawer's account -50.00, the
    # safe's +50.00, both on the drop G/L item; 70.00 stays.
    p = plan(destination="Safe", reason="too much cash")
    assert p.transactions == (
        PlannedMove(DRAWER, D("-50.00"), DROP_ITEM),
        PlannedMove(SAFE, D("50.00"), DROP_ITEM),
    )
    assert (p.destination, p.destination_account_id) == ("Safe", SAFE)
    assert p.comment == "POS1/0007 drop to Safe: too much cash"
    assert p.available_after == D("70.00")


def test_deposit_brings_change_in_from_the_source() -> None:
    # 10.00 in the drawer, 30.00 of change from the bank: drawer +30.00, bank -30.00 on
    # the deposit G/L item; the drawer then holds 40.00.
    p = plan(kind="deposit", amount=D("30.00"), available=D("10.00"), destination="Bank")
    assert p.transactions == (
        PlannedMove(DRAWER, D("30.00"), DEPOSIT_ITEM),
        PlannedMove(BANK, D("-30.00"), DEPOSIT_ITEM),
    )
    assert p.comment == "POS1/0007 deposit from Bank"
    assert p.available_after == D("40.00")


def test_without_a_destination_the_first_offered_is_taken() -> None:
    p = plan(amount=D("0.01"))
    assert (p.destination, p.destination_account_id) == ("Safe", SAFE)
    assert p.transactions[1] == PlannedMove(SAFE, D("0.01"), DROP_ITEM)
    assert p.available_after == D("119.99")


def test_a_drop_may_empty_the_drawer_but_not_more() -> None:
    assert plan(amount=D("120.00")).available_after == D("0.00")
    refused = refusal(amount=D("120.01"))
    assert refused.code == "insufficient_cash"
    assert str(refused) == "Cannot drop 120.01: the drawer holds 120.00 of Cash."
    assert refused.extra == {"available": "120.00"}


def test_a_deposit_needs_nothing_in_the_drawer() -> None:
    # An empty drawer (even a negative expected amount, after refunds) takes change in.
    p = plan(kind="deposit", amount=D("20.00"), available=D("-5.00"))
    assert p.transactions[0] == PlannedMove(DRAWER, D("20.00"), DEPOSIT_ITEM)
    assert p.available_after == D("15.00")


def test_the_drawer_never_goes_beyond_the_balance_bound() -> None:
    # Limit 1000.00: 990.00 + 20.00 = 1010.00 is refused ...
    refused = refusal(
        kind="deposit", amount=D("20.00"), available=D("990.00"), max_balance=D("1000")
    )
    assert refused.code == "validation_error"
    assert str(refused) == (
        "Cannot deposit 20.00: Cash would then hold 1010.00, "
        "beyond the limit of 1000.00 a drawer may hold."
    )
    assert refused.extra == {"available": "990.00", "max_balance": "1000.00"}
    assert refused.errors is not None and refused.errors[0]["loc"] == ["body", "amount"]
    # ... exactly 1000.00 is allowed ...
    assert plan(
        kind="deposit", amount=D("10.00"), available=D("990.00"), max_balance=D("1000")
    ).available_after == D("1000.00")
    # ... and a move back towards the bound always is: 1010.00 - 5.00 = 1005.00, and a
    # deposit into -1100.00 gives -1050.00.
    assert plan(
        amount=D("5.00"), available=D("1010.00"), max_balance=D("1000")
    ).available_after == D("1005.00")
    assert plan(
        kind="deposit", amount=D("50.00"), available=D("-1100.00"), max_balance=D("1000")
    ).available_after == D("-1050.00")


def test_an_unknown_destination_is_refused_naming_those_offered() -> None:
    refused = refusal(destination="Vault")
    assert refused.code == "validation_error"
    assert str(refused) == "Unknown drop destination 'Vault'; choose one of: Safe, Bank."
    assert refused.errors == [{"loc": ["body", "destination"], "msg": "unknown destination"}]


def test_nothing_offered_is_refused() -> None:
    refused = refusal(kind="deposit", options=[])
    assert str(refused) == "No deposit destination is configured for this profile."


def test_a_move_to_the_drawers_own_account_is_refused() -> None:
    refused = refusal(options=[Destination("Drawer", DRAWER)])
    assert str(refused) == "A cash move cannot go to the drawer's own account."


def test_a_method_without_the_kinds_gl_item_is_refused() -> None:
    no_deposit = MethodAccounts("Cash", DRAWER, drop_gl_item_id=DROP_ITEM, deposit_gl_item_id=None)
    assert plan(method=no_deposit).transactions[0].gl_item_id == DROP_ITEM
    refused = refusal(kind="deposit", method=no_deposit)
    assert str(refused) == "Cash has no G/L item for cash deposits."
    assert refused.errors == [{"loc": ["body", "payment_method"], "msg": "no deposit G/L item"}]


@pytest.mark.parametrize(
    ("kind", "amount", "message", "loc"),
    [
        ("refund", D("1.00"), "kind must be 'drop' or 'deposit'.", "kind"),
        ("drop", D("0"), "The amount must be positive.", "amount"),
        ("deposit", D("-0.01"), "The amount must be positive.", "amount"),
        ("drop", D("100.01"), "A cash move is at most 100.00.", "amount"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_loaded(
    kind: str, amount: Decimal, message: str, loc: str
) -> None:
    with pytest.raises(CashMoveRefused) as caught:
        check_cash_move_request(kind, amount, max_amount=D("100"))
    assert (caught.value.code, str(caught.value)) == ("validation_error", message)
    assert caught.value.errors is not None and caught.value.errors[0]["loc"] == ["body", loc]
    check_cash_move_request("drop", D("100.00"), max_amount=D("100"))
