"""The wire shapes of the session endpoints (closing/api.py): what they take and answer."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema

from opentill.common.schemas import Money, MultilineText, Text
from opentill.limits import MAX_DENOMINATION_QUANTITY


class DenominationIn(Schema):
    value: Money
    quantity: int = Field(..., ge=0, le=MAX_DENOMINATION_QUANTITY)


class OpeningCountIn(Schema):
    payment_method: int
    amount: Money | None = None
    denominations: list[DenominationIn] | None = None


class SessionCreateIn(Schema):
    training: bool = Field(
        False,
        description="a training session: its tickets are marked TRAINING, are not sales and "
        "count in no total; its close books nothing (docs/fiscal.md)",
    )


class OpenIn(Schema):
    counts: list[OpeningCountIn] = []
    notes: MultilineText = Field("", max_length=2000)


class OpeningOut(Schema):
    payment_method: int
    name: str
    expected: str
    counted: str | None = Field(..., description="null while the session is in opening_control")
    difference: str | None
    first_float: bool = Field(
        ...,
        description="no float was kept at the last close (expected 0.00): the counted amount "
        "becomes the drawer's float",
    )
    approved_by: str | None = Field(
        None, description="the manager who approved a difference beyond the maximum"
    )


class SessionClosingCountOut(Schema):
    payment_method: int
    name: str
    expected: str | None = Field(..., description="null for a cashier under blind close")
    counted: str
    difference: str | None
    keep: str | None
    transferred: str | None
    not_counted: bool = Field(
        ..., description="nobody counted it: the amount was taken as expected (force close)"
    )
    approved_by: str | None


class MethodAmountOut(Schema):
    payment_method: int
    name: str
    amount: str


class SessionOut(Schema):
    id: int
    name: str
    profile: int
    profile_name: str
    user: str
    user_id: int
    state: str
    rescue: bool
    training: bool = Field(
        False, description="training mode: its tickets are not sales and count in no total"
    )
    opened_at: datetime | None
    closed_at: datetime | None
    opening: list[OpeningOut]
    closing: list[SessionClosingCountOut] = Field(
        ..., description="the closing counts, once the session is counted (closing_control, closed)"
    )
    order_count: int
    sales_total: str
    payments: list[MethodAmountOut]
    number_series: str = Field(
        ..., description="the till's ticket number series: its code, TILL1 (numbers TILL1-000123)"
    )
    next_number: int | None = Field(
        ...,
        description="the till's next ticket number as the server knows it (1 + the highest "
        "stored); a terminal continues from its own counter when that is further; null once "
        "the session is closed",
    )


class SessionPage(Schema):
    items: list[SessionOut]
    count: int


class PendingLineOut(Schema):
    product: int
    quantity: str
    unit_price: str = Field(..., description="the price as rung, before the fiscal position")
    discount_percent: str


class PendingOrderOut(Schema):
    uuid: str
    number: str | None = Field(
        ..., description="none: a pending ticket is numbered when it is paid (as a new order)"
    )
    total: str
    created_at: datetime
    customer: int | None
    fiscal_position: int | None
    to_invoice: bool
    lines: list[PendingLineOut]


class HeldOrderBriefOut(Schema):
    uuid: str
    received_at: datetime
    code: str
    detail: str = Field(..., description="why it is held, in plain words")
    total: str | None = Field(..., description="the total the ticket carried, if any")
    paid: str | None = Field(..., description="what its payments add up to, if they read")


class ClosingLineOut(Schema):
    payment_method: int
    name: str
    kind: str
    countable: bool
    expected: str | None = None
    keep_policy: str
    keep_amount: str


class ClosingOut(Schema):
    session: int
    state: str
    blind: bool
    pending_orders: list[PendingOrderOut]
    held_orders: list[HeldOrderBriefOut] = Field(
        ...,
        description="tickets held for a manager: the close is refused (409 held_orders) "
        "until each is accepted or voided",
    )
    lines: list[ClosingLineOut]
    expected_total: str | None = None
    max_difference: str


class CloseCountIn(Schema):
    payment_method: int
    counted: Money | None = None
    keep: Money | None = None
    denominations: list[DenominationIn] | None = None


class CloseIn(Schema):
    counts: list[CloseCountIn] = []
    notes: MultilineText = Field("", max_length=2000)


class ValidateIn(Schema):
    notes: MultilineText = Field("", max_length=2000)


class ForceCloseIn(Schema):
    reason: MultilineText = Field(..., min_length=1, max_length=2000)
    counts: list[CloseCountIn] | None = None


class DifferenceOut(Schema):
    payment_method: int
    name: str
    expected: str
    counted: str
    difference: str
    keep: str
    transferred: str
    not_counted: bool = Field(
        ..., description="nobody counted it: the amount was taken as expected (force close)"
    )


class ClosedSessionOut(SessionOut):
    differences: list[DifferenceOut]
    needs_approval: bool
    approved_by: str | None = Field(
        ..., description="the manager whose approval let a difference beyond the maximum through"
    )


class DropIn(Schema):
    payment_method: int
    amount: Money
    destination: Text = Field("", max_length=200)
    reason: Text = Field("", max_length=255)


class PartialCloseIn(Schema):
    counts: list[CloseCountIn] = []
    drop: DropIn | None = None


class AccountOut(Schema):
    code: str
    name: str


class JournalLineOut(Schema):
    account: AccountOut
    debit: str
    credit: str
    label: str


class JournalEntryOut(Schema):
    id: int
    date: date
    kind: str
    reference: str
    order: str | None
    lines: list[JournalLineOut]
