"""Assertions shared by the integration tests of bad input, order sync and concurrency."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from opentill.accounting.models import FinancialTransaction
from opentill.orders.models import Order, OrderLine, Payment

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem response with ``status`` and the stable ``code``."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert PROBLEM_KEYS <= set(body), body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["detail"]
    assert "Traceback" not in response.content.decode()
    return body


def assert_problem_document(error: dict[str, Any] | None, status: int, code: str) -> None:
    """The problem document of a rejected order inside a sync result."""
    assert error is not None
    assert PROBLEM_KEYS <= set(error), error
    assert (error["status"], error["code"]) == (status, code), error
    assert error["detail"]


@dataclass(frozen=True)
class Rows:
    orders: int
    lines: int
    payments: int
    transactions: int

    @classmethod
    def now(cls) -> Rows:
        return cls(
            Order.objects.count(),
            OrderLine.objects.count(),
            Payment.objects.count(),
            FinancialTransaction.objects.count(),
        )

    def __sub__(self, other: Rows) -> tuple[int, int, int, int]:
        return (
            self.orders - other.orders,
            self.lines - other.lines,
            self.payments - other.payments,
            self.transactions - other.transactions,
        )


def assert_not_stored(uuid: Any) -> None:
    """Nothing of the order ``uuid`` reached the database (trivially so for a non-uuid)."""
    try:
        value = uuidlib.UUID(str(uuid))
    except ValueError:
        return
    assert not Order.objects.filter(uuid=value).exists()
    assert not Payment.objects.filter(order__uuid=value).exists()
    assert_payments_match_transactions()


def assert_payments_match_transactions() -> None:
    """Payment transactions are written per method and batch, not per order: each account's
    payment transactions add up to exactly the payments stored on its method, so money of
    an order that was not stored cannot hide in an account."""
    transactions = dict(
        FinancialTransaction.objects.filter(kind=FinancialTransaction.Kind.PAYMENT)
        .values_list("account_id")
        .annotate(total=Sum("amount"))
    )
    payments = dict(
        Payment.objects.values_list("payment_method__financial_account_id").annotate(
            total=Sum("amount")
        )
    )
    assert transactions == payments, (transactions, payments)
