"""How a journal entry is built: the one home of the posting rules. Pure: no Django.

Amounts are signed, debit positive and credit negative. The rules turn sold orders and the
session's money movements into postings:

- sales: the net of the sold lines credited to their income account, per the lines' taxes
  ("Sales 21%", "Sales 10% + 21%": :func:`taxes_key`); refunds apart: the net of the
  refund lines (negative quantity) debited to the same account ("Refunds 21%");
- taxes: each tax of the sold lines credited to the tax's account, by the tax's name as
  charged ("VAT 21%"); the tax of the refund lines debited to it apart ("VAT 21% on
  refunds");
- cash rounding: amount due − total credited to the company's rounding account;
- invoices: an order invoiced on its own at sync gets an invoice entry when it is invoiced
  (:func:`invoice_postings`): the company's receivable account debited with the invoice
  total (the amount due; a credit note credits it), its sales, taxes and rounding credited
  as above. Its payments then settle the receivable: the session's (or the order's) entry
  credits the receivable ("Invoices settled"; "Credit notes settled" debited) instead of
  its sales, taxes and rounding a second time;
- held order differences: paid − amount due of an accepted held order, credited (a gain)
  or debited (a loss) on the account the manager chose;
- payments: debited to the ledger account of the method's financial account, per method;
- movements (differences, opening differences, adjustments, transfers, drops, deposits):
  each on its financial account's ledger account; a difference, opening difference or
  adjustment has its counterpart on its G/L item's account, the others have both legs in
  the session and balance themselves.

:func:`build_entry` merges postings per account and label, drops zeros and refuses an
entry that does not balance. The per-order entry (:func:`order_postings`) and the close's
entry (:func:`session_postings`, from SQL aggregates read by the selectors) use the same
rules, so an order posted alone and the same order in a session's entry book the same
figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from opentill.common.problems import Problem
from opentill.money import RATE_PLACES, ZERO, fmt


class UnbalancedEntry(ValueError):
    """Debits and credits differ: a bug, never booked."""


@dataclass(frozen=True)
class Posting:
    account_id: int
    label: str
    amount: Decimal  # debit > 0 > credit


@dataclass(frozen=True)
class EntryLine:
    account_id: int
    label: str
    debit: Decimal
    credit: Decimal


#: Kinds of financial transaction (``FinancialTransaction.Kind``) whose counterpart is their
#: G/L item's account; the others (transfers, drops, deposits) balance in the session.
GL_COUNTERPART_KINDS = frozenset({"difference", "opening_difference", "adjustment"})


@dataclass(frozen=True)
class SoldNet:
    """The net of sold lines, summed per income account and the lines' taxes (or one
    line's): ``taxes`` is the key the sales are booked under ("21%", "10% + 21%")."""

    income_account_id: int
    taxes: str
    net: Decimal
    refund: bool = False  # refund lines (negative quantity), booked apart from sales


@dataclass(frozen=True)
class SoldTax:
    """One tax of sold lines, summed per account and tax as charged (or one line's)."""

    account_id: int
    name: str
    amount: Decimal
    refund: bool = False


@dataclass(frozen=True)
class Sold:
    """What sold orders book: their sales and taxes, rounding, payments and accepted
    differences.

    ``sales``, ``taxes`` and ``rounding`` are those of the orders whose sales this entry books;
    ``settled`` is the amount due of the orders an invoice entry booked already (invoiced
    on their own), whose payments settle the receivable: (receivable account, amount due),
    one item per sign (invoices, credit notes)."""

    sales: list[SoldNet]
    taxes: list[SoldTax]
    rounding: Decimal
    rounding_account_id: int | None
    payments: list[tuple[int, str, Decimal]]  # (ledger account, method name, amount)
    differences: list[tuple[int, Decimal]] = field(default_factory=list)  # (account, paid − due)
    settled: list[tuple[int | None, Decimal]] = field(default_factory=list)


@dataclass(frozen=True)
class Movement:
    """Non-payment financial transactions of a session, summed per kind and account."""

    kind: str
    label: str
    ledger_account_id: int
    gl_account_id: int | None
    total: Decimal


def rate_label(prefix: str, rate: Decimal) -> str:
    """``Sales 21%``, ``VAT 5.5%``, ``VAT 0%``."""
    text = fmt(rate, RATE_PLACES) or "0"
    return f"{prefix} {text.rstrip('0').rstrip('.')}%"


def rounding_postings(account_id: int | None, amount: Decimal) -> list[tuple[int, Decimal]]:
    """The rounding to book on the company's rounding account (none when nothing rounded)."""
    if amount == 0:
        return []
    if account_id is None:
        raise Problem(
            "invalid_state", "Cash rounding happened but the company has no rounding account."
        )
    return [(account_id, amount)]


def sale_label(taxes: str, *, refund: bool) -> str:
    """``Sales 21%`` for sold lines, ``Refunds 21%`` for refund lines (by their taxes)."""
    return f"{'Refunds' if refund else 'Sales'} {taxes}"


def tax_label(name: str, *, refund: bool) -> str:
    """``VAT 21%`` on sold lines, ``VAT 21% on refunds`` on refund lines."""
    return f"{name} on refunds" if refund else name


def taxes_key(taxes: Iterable[tuple[str, Decimal, str]]) -> str:
    """The key a line's sales are booked under, from its taxes ``(kind, rate, name)``: a
    percent tax by its rate, a fixed one by its name ('21%', '10% + 21%', '21% + Deposit';
    'no tax' without any)."""
    parts = [
        rate_label("", rate).strip() if kind == "percent" else name for kind, rate, name in taxes
    ]
    return " + ".join(parts) or "no tax"


def receivable_account(account_id: int | None) -> int:
    """The company's receivable account, which invoicing an order on its own needs."""
    if account_id is None:
        raise Problem(
            "invalid_state",
            "The company has no receivable account: an order cannot be invoiced on its own "
            "(set the company's receivable account first).",
        )
    return account_id


def settled_postings(settled: Iterable[tuple[int | None, Decimal]]) -> list[Posting]:
    """Payments of invoiced orders settle the receivable: credited by the invoices' amount
    due ("Invoices settled"), debited by the credit notes' ("Credit notes settled")."""
    return [
        Posting(
            receivable_account(account_id),
            "Credit notes settled" if amount < 0 else "Invoices settled",
            -amount,
        )
        for account_id, amount in settled
        if amount
    ]


def lines_postings(sales: Iterable[SoldNet], taxes: Iterable[SoldTax]) -> list[Posting]:
    """Net and taxes of sold lines credited, of refund lines debited, each on its own
    label: per income account and taxes ("Sales 21%", "Refunds 21%"), per tax ("VAT 21%",
    "VAT 21% on refunds")."""
    postings = [
        Posting(x.income_account_id, sale_label(x.taxes, refund=x.refund), -x.net) for x in sales
    ]
    postings += [
        Posting(x.account_id, tax_label(x.name, refund=x.refund), -x.amount) for x in taxes
    ]
    return postings


def sales_postings(
    *,
    sales: Iterable[tuple[int, str, Decimal]],
    taxes: Iterable[tuple[int, str, Decimal]],
    rounding: Iterable[tuple[int, Decimal]],
    payments: Iterable[tuple[int, str, Decimal]],
    differences: Iterable[tuple[int, Decimal]] = (),
) -> list[Posting]:
    """Postings of sold orders: income (net) and tax credited, cash rounding, payments debited.

    ``sales``: (income account, label, net); ``taxes``: (tax account, label, tax);
    ``rounding``: (rounding account, amount due − total); ``payments``: (ledger account of the
    method's financial account, label, amount); ``differences``: (account, paid − amount due)
    of held orders a manager accepted, credited (a gain) or debited (a loss) so the entry
    balances with payments that differ from what was due. Refunds come in negative.
    """
    postings = [Posting(a, label, -net) for a, label, net in sales]
    postings += [Posting(a, label, -tax) for a, label, tax in taxes]
    postings += [Posting(a, "Cash rounding", -amount) for a, amount in rounding]
    postings += [Posting(a, "Held order difference", -amount) for a, amount in differences]
    postings += [Posting(a, label, amount) for a, label, amount in payments]
    return postings


def sold_postings(sold: Sold) -> list[Posting]:
    """The sales rules applied to sold orders (one order, or a session's aggregates)."""
    postings = lines_postings(sold.sales, sold.taxes)
    postings += sales_postings(
        sales=(),
        taxes=(),
        rounding=rounding_postings(sold.rounding_account_id, sold.rounding),
        payments=sold.payments,
        differences=sold.differences,
    )
    return postings + settled_postings(sold.settled)


def invoice_postings(
    *,
    number: str,
    credit_note: bool,
    receivable_account_id: int | None,
    amount_due: Decimal,
    sales: Iterable[SoldNet],
    taxes: Iterable[SoldTax],
    rounding: Decimal,
    rounding_account_id: int | None,
) -> list[Posting]:
    """The entry of an order invoiced on its own, when it is invoiced: the receivable
    debited with the invoice total (the order's amount due, signed: a credit note credits
    it), sales and refunds, taxes and cash rounding as in a sale."""
    label = f"{'Credit note' if credit_note else 'Invoice'} {number}"
    postings = [Posting(receivable_account(receivable_account_id), label, amount_due)]
    postings += lines_postings(sales, taxes)
    postings += [
        Posting(a, "Cash rounding", -amount)
        for a, amount in rounding_postings(rounding_account_id, rounding)
    ]
    return postings


def movement_postings(movements: Iterable[Movement]) -> list[Posting]:
    """Postings of the session's non-payment transactions, per account and kind."""
    postings: list[Posting] = []
    for m in movements:
        postings.append(Posting(m.ledger_account_id, m.label, m.total))
        if m.kind in GL_COUNTERPART_KINDS:
            if m.gl_account_id is None:
                raise Problem(
                    "invalid_state", f"A {m.label.lower()} has no G/L item to book it on."
                )
            postings.append(Posting(m.gl_account_id, m.label, -m.total))
    return postings


def session_postings(*, sold: Sold | None, movements: Iterable[Movement]) -> list[Posting]:
    """The close's entry: the sold orders' postings (``None`` when the profile posts each
    order at sync) followed by the movements'."""
    postings = sold_postings(sold) if sold is not None else []
    return postings + movement_postings(movements)


def order_postings(
    *,
    sales: Iterable[SoldNet],
    taxes: Iterable[SoldTax],
    rounding: Decimal,
    rounding_account_id: int | None,
    payments: Iterable[tuple[int, str, Decimal]],
    difference: Decimal = ZERO,
    difference_account_id: int | None = None,
    invoiced: bool = False,
    amount_due: Decimal = ZERO,
    receivable_account_id: int | None = None,
) -> list[Posting]:
    """One order's entry (profiles that post in real time). An order ``invoiced`` on its
    own had its sales booked by its invoice entry: its payments settle the receivable
    (``amount_due``) instead."""
    return sold_postings(
        Sold(
            sales=[] if invoiced else list(sales),
            taxes=[] if invoiced else list(taxes),
            rounding=ZERO if invoiced else rounding,
            rounding_account_id=rounding_account_id,
            payments=list(payments),
            differences=[(difference_account_id, difference)]
            if difference and difference_account_id is not None
            else [],
            settled=[(receivable_account_id, amount_due)] if invoiced else [],
        )
    )


def build_entry(postings: Iterable[Posting]) -> list[EntryLine]:
    """Merge postings per (account, label, side) and check that the entry balances."""
    merged: dict[tuple[int, str, bool], Decimal] = {}
    total = ZERO
    for p in postings:
        total += p.amount
        if p.amount == 0:
            continue
        key = (p.account_id, p.label, p.amount > 0)
        merged[key] = merged.get(key, ZERO) + p.amount
    if total != 0:
        raise UnbalancedEntry(f"entry does not balance: debit − credit = {fmt(total)}")
    lines = []
    for (account_id, label, is_debit), amount in merged.items():
        lines.append(
            EntryLine(
                account_id=account_id,
                label=label,
                debit=amount if is_debit else ZERO,
                credit=ZERO if is_debit else -amount,
            )
        )
    return lines
