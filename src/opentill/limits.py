"""The bounds every amount and quantity entering OpenTill must respect, stated once.

Pure: no Django. The server checks them (orders, cash moves, counts, tendered amounts) and
the catalog publishes them so the terminal refuses the same inputs before a ticket is paid.
Money is stored as integer thousandths in 64-bit columns (at most about 9.2 × 10**15 units
of currency); these bounds keep every single amount, and every sum a session can hold,
far inside that range.
"""

from __future__ import annotations

from decimal import Decimal

# One order, one line, one payment, one tendered amount, one cash move.
MAX_AMOUNT = Decimal("1000000000.00")
# A unit price (a line is also bounded by MAX_AMOUNT once priced).
MAX_UNIT_PRICE = Decimal("1000000000.00")
# The size of a quantity on a line (refunds are negative).
MAX_QUANTITY = Decimal("1000000")
# Coins or notes of one value in one count.
MAX_DENOMINATION_QUANTITY = 1_000_000
# The balance a drawer (a payment method's financial account) may reach through cash moves
# and payments within one session, in either direction.
MAX_BALANCE = Decimal("100000000000.00")
# A counted amount (and the cash to keep) of one payment method: whatever a drawer may hold,
# so every expected amount the bounds allow can be counted and the session closed.
MAX_COUNT = MAX_BALANCE
MAX_LINES = 500
MAX_PAYMENTS = 20
MAX_BATCH = 1000
# Ids are 64-bit database integers; a list is paged no further than this.
MAX_ID = 2**63 - 1
MAX_OFFSET = 1_000_000_000


def published(places: int = 2) -> dict[str, str | int]:
    """The limits as the catalog sends them to terminals (money and quantities as strings;
    amounts with ``places`` decimals, the currency's)."""
    return {
        "max_amount": f"{MAX_AMOUNT:.{places}f}",
        "max_unit_price": f"{MAX_UNIT_PRICE:.{places}f}",
        "max_quantity": str(MAX_QUANTITY),
        "max_denomination_quantity": MAX_DENOMINATION_QUANTITY,
        "max_balance": f"{MAX_BALANCE:.{places}f}",
        "max_count": f"{MAX_COUNT:.{places}f}",
        "max_lines": MAX_LINES,
        "max_payments": MAX_PAYMENTS,
        "max_batch": MAX_BATCH,
    }
