"""The closing plan (``pos/closing_plan.py``): pure functions, no database."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from opentill.pos.closing_plan import (
    KEEP_ALL,
    KEEP_FIXED,
    KEEP_NONE,
    KEEP_VARIABLE,
    ClosingError,
    MethodInput,
    cash_to_keep,
    plan_close,
)

D = Decimal
DRAWER, CLEARING, SAFE, BANK = 11, 12, 21, 22
DIFF_ITEM, TRANSFER_ITEM = 31, 32


def cash(**changes: object) -> MethodInput:
    base = MethodInput(
        method_id=1,
        name="Cash",
        account_id=DRAWER,
        countable=True,
        expected=D("114.30"),
        counted=D("113.10"),
        keep_policy=KEEP_FIXED,
        keep_amount=D("100.00"),
        keep_requested=None,
        destination_account_id=SAFE,
        difference_gl_item_id=DIFF_ITEM,
        transfer_gl_item_id=TRANSFER_ITEM,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def card(**changes: object) -> MethodInput:
    base = MethodInput(
        method_id=2,
        name="Card",
        account_id=CLEARING,
        countable=False,
        expected=D("9.90"),
        counted=None,
        keep_policy=KEEP_NONE,
        keep_amount=D("0.00"),
        keep_requested=None,
        destination_account_id=BANK,
        difference_gl_item_id=None,
        transfer_gl_item_id=TRANSFER_ITEM,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def plan(
    *methods: MethodInput,
    manager: bool = False,
    keep_nothing: bool = False,
    limit="5.00",
    take_expected: bool = False,
):
    return plan_close(
        methods,
        session_name="TILL1/2026/0001",
        max_difference=D(limit),
        approver_is_manager=manager,
        keep_nothing=keep_nothing,
        take_expected=take_expected,
    )


# --- cash_to_keep ---------------------------------------------------------------------------


def test_keep_none_keeps_nothing():
    assert cash_to_keep(policy=KEEP_NONE, counted=D("50.00"), fixed=D("100"), requested=None) == 0


def test_keep_all_keeps_the_count():
    assert cash_to_keep(policy=KEEP_ALL, counted=D("50.00"), fixed=D("0"), requested=None) == D(
        "50.00"
    )


@pytest.mark.parametrize(
    ("counted", "fixed", "keep"),
    [
        ("150.00", "100.00", "100.00"),
        ("100.00", "100.00", "100.00"),
        ("60.00", "100.00", "60.00"),  # fixed float above what was counted: keep the count
        ("0.00", "100.00", "0.00"),
    ],
)
def test_keep_fixed_is_capped_by_the_count(counted, fixed, keep):
    assert cash_to_keep(policy=KEEP_FIXED, counted=D(counted), fixed=D(fixed), requested=None) == D(
        keep
    )


def test_keep_variable_takes_the_requested_amount():
    assert cash_to_keep(
        policy=KEEP_VARIABLE, counted=D("80.00"), fixed=D("100"), requested=D("35.50")
    ) == D("35.50")
    assert cash_to_keep(
        policy=KEEP_VARIABLE, counted=D("80.00"), fixed=D("100"), requested=D("80.00")
    ) == D("80.00")
    # Nothing requested: keep nothing.
    assert (
        cash_to_keep(policy=KEEP_VARIABLE, counted=D("80.00"), fixed=D("100"), requested=None) == 0
    )


def test_keep_variable_above_counted_is_refused():
    with pytest.raises(ClosingError) as info:
        cash_to_keep(
            policy=KEEP_VARIABLE,
            counted=D("80.00"),
            fixed=D("0"),
            requested=D("80.01"),
            name="Cash",
        )
    assert info.value.code == "keep_exceeds_counted"
    assert "80.01" in str(info.value)


def test_keep_variable_negative_is_refused():
    with pytest.raises(ClosingError) as info:
        cash_to_keep(policy=KEEP_VARIABLE, counted=D("80.00"), fixed=D("0"), requested=D("-1.00"))
    assert info.value.code == "validation_error"


def test_unknown_keep_policy_is_refused():
    with pytest.raises(ClosingError) as info:
        cash_to_keep(policy="half", counted=D("80.00"), fixed=D("0"), requested=None)
    assert info.value.code == "validation_error"


# --- plan_close ------------------------------------------------------------------------------


def test_worked_example_plan():
    result = plan(cash(), card())
    by_name = {m.name: m for m in result.methods}
    assert by_name["Cash"].difference == D("-1.20")
    assert by_name["Cash"].keep == D("100.00")
    assert by_name["Cash"].transfer == D("13.10")
    assert by_name["Card"].counted == D("9.90")
    assert by_name["Card"].difference == 0
    assert by_name["Card"].keep == 0
    assert by_name["Card"].transfer == D("9.90")
    assert not result.needs_approval
    assert result.over_limit == ()
    assert result.expected_total == D("124.20")
    assert result.counted_total == D("123.00")
    assert result.difference_total == D("-1.20")
    assert [(t.account_id, t.kind, t.amount, t.gl_item_id) for t in result.transactions] == [
        (DRAWER, "difference", D("-1.20"), DIFF_ITEM),
        (DRAWER, "transfer", D("-13.10"), TRANSFER_ITEM),
        (SAFE, "transfer", D("13.10"), TRANSFER_ITEM),
        (CLEARING, "transfer", D("-9.90"), TRANSFER_ITEM),
        (BANK, "transfer", D("9.90"), TRANSFER_ITEM),
    ]
    # Every transfer leaves one account and enters another: they sum to zero.
    assert sum(t.amount for t in result.transactions if t.kind == "transfer") == 0


def test_fixed_keep_above_counted_keeps_the_count_and_transfers_nothing():
    result = plan(cash(expected=D("60.00"), counted=D("60.00")))
    (m,) = result.methods
    assert (m.keep, m.transfer, m.difference) == (D("60.00"), D("0.00"), D("0.00"))
    assert result.transactions == ()


def test_variable_keep_above_counted_is_a_closing_error():
    with pytest.raises(ClosingError) as info:
        plan(
            cash(
                keep_policy=KEEP_VARIABLE,
                counted=D("110.00"),
                expected=D("110.00"),
                keep_requested=D("110.01"),
            )
        )
    assert info.value.code == "keep_exceeds_counted"


def test_variable_keep_is_kept_and_the_rest_transferred():
    result = plan(
        cash(
            keep_policy=KEEP_VARIABLE,
            expected=D("110.00"),
            counted=D("110.00"),
            keep_requested=D("42.00"),
        )
    )
    (m,) = result.methods
    assert (m.keep, m.transfer) == (D("42.00"), D("68.00"))


def test_keep_all_and_keep_none():
    (kept,) = plan(cash(keep_policy=KEEP_ALL, counted=D("113.10"))).methods
    assert (kept.keep, kept.transfer) == (D("113.10"), D("0.00"))
    (none,) = plan(cash(keep_policy=KEEP_NONE, counted=D("113.10"))).methods
    assert (none.keep, none.transfer) == (D("0.00"), D("113.10"))


def test_missing_count_of_a_countable_method():
    with pytest.raises(ClosingError) as info:
        plan(cash(counted=None), card())
    assert info.value.code == "count_missing"
    assert "Cash" in str(info.value)


def test_negative_count_is_refused():
    with pytest.raises(ClosingError) as info:
        plan(cash(counted=D("-0.01")))
    assert info.value.code == "validation_error"


def test_non_countable_is_taken_as_expected_whatever_is_given():
    (m,) = plan(card(counted=D("1.00"), expected=D("55.55"))).methods
    assert (m.counted, m.difference, m.transfer) == (D("55.55"), D("0.00"), D("55.55"))
    (m,) = plan(card(counted=None, expected=D("-3.00"))).methods  # refunds only
    assert (m.counted, m.difference, m.transfer) == (D("-3.00"), D("0.00"), D("-3.00"))


def test_no_destination_keeps_everything():
    result = plan(cash(destination_account_id=None, keep_policy=KEEP_NONE, counted=D("113.10")))
    (m,) = result.methods
    assert (m.keep, m.transfer) == (D("113.10"), D("0.00"))
    assert [t.kind for t in result.transactions] == ["difference"]


def test_rescue_keeps_nothing_whatever_the_policy():
    for policy in (KEEP_FIXED, KEEP_ALL, KEEP_VARIABLE):
        result = plan(
            cash(keep_policy=policy, expected=D("7.00"), counted=D("7.00")),
            keep_nothing=True,
        )
        (m,) = result.methods
        assert (m.keep, m.transfer) == (D("0.00"), D("7.00"))


def test_rescue_without_destination_still_keeps_everything():
    (m,) = plan(cash(destination_account_id=None, counted=D("7.00")), keep_nothing=True).methods
    assert (m.keep, m.transfer) == (D("7.00"), D("0.00"))


def test_difference_at_the_limit_is_not_over_it():
    result = plan(cash(expected=D("100.00"), counted=D("95.00")))
    assert result.over_limit == ()
    assert not result.needs_approval
    result = plan(cash(expected=D("100.00"), counted=D("105.00")))
    assert result.over_limit == ()


def test_one_cent_above_the_limit_needs_a_manager():
    for counted in ("94.99", "105.01"):
        result = plan(cash(expected=D("100.00"), counted=D(counted)))
        assert result.over_limit == (1,)
        assert result.needs_approval
        managed = plan(cash(expected=D("100.00"), counted=D(counted)), manager=True)
        assert managed.over_limit == (1,)
        assert not managed.needs_approval


def test_zero_limit_any_difference_needs_approval():
    assert plan(cash(expected=D("1.00"), counted=D("1.01")), limit="0.00").needs_approval
    assert not plan(cash(expected=D("1.00"), counted=D("1.00")), limit="0.00").needs_approval


def test_an_uncounted_method_is_taken_as_expected_and_marked_not_counted():
    result = plan(cash(counted=None), card(), take_expected=True, manager=True)
    m, c = result.methods
    assert (m.counted, m.difference, m.keep, m.transfer) == (
        D("114.30"),
        D("0.00"),
        D("100.00"),
        D("14.30"),
    )
    assert m.not_counted
    assert not c.not_counted  # a card is never counted: informational, not a missing count
    assert [t.kind for t in result.transactions] == ["transfer"] * 4


def test_a_given_count_is_not_marked_not_counted_when_taking_expected():
    (m,) = plan(cash(counted=D("113.10")), take_expected=True).methods
    assert (m.counted, m.not_counted) == (D("113.10"), False)


def test_uncounted_negative_expected_cash_is_taken_as_zero_and_the_gap_booked():
    # Refunds paid in cash took 12.50 more out of the drawer than it held.
    result = plan(cash(expected=D("-12.50"), counted=None), take_expected=True, manager=True)
    (m,) = result.methods
    assert (m.counted, m.difference, m.keep, m.transfer) == (
        D("0.00"),
        D("12.50"),
        D("0.00"),
        D("0.00"),
    )
    assert m.not_counted
    (diff,) = result.transactions
    assert (diff.kind, diff.amount, diff.account_id) == ("difference", D("12.50"), DRAWER)
    assert "expected -12.50, counted 0.00" in diff.comment


def test_negative_expected_cash_counted_zero_books_the_difference():
    result = plan(cash(expected=D("-12.50"), counted=D("0.00")), manager=True)
    (m,) = result.methods
    assert (m.difference, m.not_counted) == (D("12.50"), False)
    assert result.over_limit == (1,)


def test_variable_keep_of_a_method_below_zero_keeps_nothing():
    (m,) = plan(card(keep_policy=KEEP_VARIABLE, expected=D("-3.00"))).methods
    assert (m.counted, m.keep, m.transfer) == (D("-3.00"), D("0.00"), D("-3.00"))


def test_no_difference_no_transfer_no_transactions():
    result = plan(cash(expected=D("100.00"), counted=D("100.00")), card(expected=D("0.00")))
    assert result.transactions == ()


# --- a keep the policy would not use is refused -----------------------------------------------


@pytest.mark.parametrize(
    ("method", "why"),
    [
        (cash(keep_requested=D("50.00")), "keeps a fixed float of 100.00"),
        (cash(keep_requested=D("-5.00")), "keeps a fixed float of 100.00"),
        (cash(keep_policy=KEEP_NONE, keep_requested=D("10.00")), "keeps nothing"),
        (card(keep_policy=KEEP_ALL, keep_requested=D("0.00")), "keeps everything counted"),
        (
            cash(keep_policy=KEEP_VARIABLE, keep_requested=D("20.00"), destination_account_id=None),
            "no close destination",
        ),
    ],
)
def test_a_keep_the_policy_ignores_is_refused(method, why):
    with pytest.raises(ClosingError) as caught:
        plan(method)
    assert caught.value.code == "keep_not_chosen"
    assert why in str(caught.value)


def test_a_keep_equal_to_what_the_policy_gives_is_accepted():
    (m,) = plan(cash(keep_requested=D("100.00"))).methods
    assert (m.keep, m.transfer) == (D("100.00"), D("13.10"))
    (m,) = plan(card(keep_requested=D("0.00"))).methods
    assert m.keep == 0


def test_a_rescue_close_refuses_a_keep_and_keeps_nothing_without_one():
    variable = cash(keep_policy=KEEP_VARIABLE, keep_requested=D("20.00"))
    with pytest.raises(ClosingError) as caught:
        plan(variable, keep_nothing=True)
    assert caught.value.code == "keep_not_chosen"
    result = plan(replace(variable, keep_requested=None), keep_nothing=True)
    assert result.methods[0].keep == 0
