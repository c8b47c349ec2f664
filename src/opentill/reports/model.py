"""The X/Z report model: the JSON of ``GET /sessions/{id}/report`` as typed dictionaries.

:func:`opentill.reports.selectors.session_report` builds a :class:`SessionReport`;
:func:`opentill.reports.document.build_document` and every renderer (HTML, PDF, text,
ESC/POS) take one, so mypy checks each key they read against the keys the selector writes.
These are ``TypedDict``\\ s: at run time a report is a plain ``dict`` and the API answers it
as it is (the key order below is the order of the JSON). Amounts are strings with the
currency's decimals; times are RFC 3339 in the company's time zone. Pure: no Django import.

A key marked ``NotRequired`` is left out for some readers or some rows, never set to null:
``expected`` and ``difference`` of a count under blind close, ``keep`` and ``transferred``
on closing counts only. A column total hidden from the reader is ``None``.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from opentill.orders.domain import TicketNumbers

__all__ = [
    "CashMoveRow",
    "CategoryRow",
    "ClosingTotals",
    "CountColumn",
    "CountRow",
    "CountTotals",
    "DenominationRow",
    "ExpectedRow",
    "GrandTotal",
    "InvoiceRow",
    "InvoicesSummary",
    "Journal",
    "JournalAccountRow",
    "JournalEntryRow",
    "MoveTotals",
    "Notes",
    "OrderFigures",
    "PaymentRow",
    "ReportSession",
    "SessionReport",
    "Signature",
    "TaxRow",
    "TaxTotals",
    "TaxesRow",
    "TaxesTotal",
    "TicketNumbers",
]


class ReportSession(TypedDict):
    id: int
    name: str
    #: The session's Z number on its profile (regular and rescue sessions count apart).
    sequence: int
    state: str
    rescue: bool
    training: bool


class OrderFigures(TypedDict):
    count: int
    drafts: int
    #: Tickets held for a manager: in none of these totals until resolved.
    held: int
    voided: int
    voided_total: str
    refunds: int
    refunds_total: str
    sales_total: str
    #: ``sales_total / count``, rounded half up.
    average_ticket: str
    rounding: str
    amount_due_total: str
    discounts: str


class TaxesRow(TypedDict):
    """Sales per the lines' taxes, as the journal books them (``21%``, ``10% + 21%``)."""

    taxes: str
    net: str
    tax: str
    gross: str


class TaxesTotal(TypedDict):
    net: str
    tax: str
    gross: str


class TaxRow(TypedDict):
    """A row of the VAT summary: one tax, its sale lines and refund lines apart."""

    sales_base: str
    sales_tax: str
    refunds_base: str
    refunds_tax: str
    base: str
    amount: str
    tax: int
    name: str
    kind: str
    #: A percent tax's rate (``21.0000``); none for a fixed amount.
    rate: str | None


class TaxTotals(TypedDict):
    sales_base: str
    sales_tax: str
    refunds_base: str
    refunds_tax: str
    base: str
    amount: str


class CategoryRow(TypedDict):
    category: str
    quantity: str | None  # the quantity's decimals as stored (``2.000``)
    net: str
    tax: str
    gross: str
    discount: str


class PaymentRow(TypedDict):
    """Sold payments of one method: ``amount`` = ``tendered`` − ``change`` (cash only)."""

    payment_method: int
    name: str
    amount: str
    count: int
    cash: bool
    tendered: str
    change: str


class CashMoveRow(TypedDict):
    kind: str
    payment_method: str
    amount: str
    destination: str
    reason: str
    at: str | None
    by: str


class MoveTotals(TypedDict):
    drop: str
    deposit: str


class DenominationRow(TypedDict):
    value: str
    quantity: int


class CountRow(TypedDict):
    """One method's count at the opening, a partial close (X) or the closing."""

    payment_method: int
    name: str
    counted: str
    #: Taken as expected (force or rescue close): nobody counted this amount.
    not_counted: bool
    #: The manager whose approval let a difference beyond the maximum through.
    approved_by: str | None
    denominations: list[DenominationRow]
    at: str | None
    expected: NotRequired[str]  # not under blind close
    difference: NotRequired[str]  # not under blind close
    keep: NotRequired[str]  # closing counts only
    transferred: NotRequired[str]  # closing counts only


#: The columns of count rows that have a total.
CountColumn = Literal["expected", "counted", "difference", "keep", "transferred"]


class CountTotals(TypedDict):
    """Column totals of the opening counts; ``None`` for a column hidden from the reader."""

    expected: str | None
    counted: str | None
    difference: str | None


class ClosingTotals(CountTotals):
    keep: str | None
    transferred: str | None


class ExpectedRow(TypedDict):
    payment_method: int
    name: str
    expected: str


class InvoiceRow(TypedDict):
    number: str
    kind: str
    consolidated: bool
    customer: str
    net_total: str
    tax_total: str
    total: str


class InvoicesSummary(TypedDict):
    consolidated: int
    individual: int
    credit_notes: int


class JournalAccountRow(TypedDict):
    code: str
    name: str
    debit: str
    credit: str


class JournalEntryRow(TypedDict):
    id: int
    date: str
    reference: str
    debit: str
    credit: str


class Journal(TypedDict):
    entries: int
    lines: int
    debit: str
    credit: str
    accounts: list[JournalAccountRow]
    entry_list: list[JournalEntryRow]


class GrandTotal(TypedDict):
    """The profile's perpetual grand total, up to this session (see the selector)."""

    sessions: int
    since: str | None
    previous: str
    session: str
    perpetual: str
    perpetual_absolute: str


class Notes(TypedDict):
    opening: str
    closing: str
    force_close_reason: str


class Signature(TypedDict):
    role: str
    name: str


class SessionReport(TypedDict):
    """The X report while the session is open, the Z report once it is closed."""

    kind: Literal["X", "Z"]
    company: str
    currency: str
    time_zone: str
    store: str
    store_address: str
    profile: str
    session: ReportSession
    cashier: str
    cashier_name: str
    opened_at: str | None
    closed_at: str | None
    closed_by: str | None
    generated_at: str | None
    orders: OrderFigures
    #: The ticket numbers: first, last and the gaps of the till's series.
    numbers: TicketNumbers
    sales_by_taxes: list[TaxesRow]
    sales_by_taxes_total: TaxesTotal
    taxes: list[TaxRow]
    taxes_total: TaxTotals
    sales_by_category: list[CategoryRow]
    #: Empty under blind close for the cashier (with the opening count they would give
    #: away the expected cash).
    payments: list[PaymentRow]
    payments_total: str
    payments_tendered_total: str
    payments_change_total: str
    cash_moves: list[CashMoveRow]
    cash_moves_total: MoveTotals
    opening: list[CountRow]
    opening_total: CountTotals
    partial_counts: list[CountRow]
    #: While open, what each method should hold now (empty once closed or under blind close).
    expected_now: list[ExpectedRow]
    closing: list[CountRow]
    closing_total: ClosingTotals
    invoices: list[InvoiceRow]
    invoices_summary: InvoicesSummary
    journal: Journal
    grand_total: GrandTotal
    notes: Notes
    signatures: list[Signature]
