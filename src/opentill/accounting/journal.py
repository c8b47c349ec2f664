"""Journal entries from aggregates. Pure: no Django.

Amounts are signed, debit positive and credit negative; :func:`build_entry` merges them per
account and label, drops zeros and refuses an entry that does not balance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from opentill.money import ZERO, fmt


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
