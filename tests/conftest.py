"""Shared fixtures: the demo shop, users with tokens, an API client."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from opentill.demo import demo_load
from opentill.identity.services import token_issue


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    # Password hashing is deliberately slow; tests log in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _flush_in_maintenance()


def _flush_in_maintenance() -> None:
    """Transactional tests end by emptying every table (DELETE on SQLite, TRUNCATE on
    PostgreSQL), which the database protection of closed records refuses: the flush runs
    through its deliberate way past it (opentill.common.protection.maintenance)."""
    from contextlib import ExitStack

    from django.test import TransactionTestCase

    from opentill.common.protection import maintenance

    teardown = TransactionTestCase._fixture_teardown

    def fixture_teardown(self: TransactionTestCase) -> None:
        with ExitStack() as stack:
            for alias in self._databases_names(include_mirrors=False):
                stack.enter_context(maintenance(alias))
            teardown(self)

    TransactionTestCase._fixture_teardown = fixture_teardown  # type: ignore[method-assign]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


class Api:
    """A tiny JSON client for /api/v1 that authenticates with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, **self._headers())

    def post(self, path: str, body: Any = None, raw: str | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            f"/api/v1{path}", data, content_type="application/json", **self._headers()
        )


@pytest.fixture
def shop(db: Any) -> dict[str, Any]:
    """The demo shop: company, two tills with Cash and Card, users manager/alice/bob."""
    from opentill.catalog.models import Product
    from opentill.pos.models import PaymentMethod, PosProfile

    demo_load()
    till1 = PosProfile.objects.get(code="TILL1")
    till2 = PosProfile.objects.get(code="TILL2")
    return {
        "till1": till1,
        "till2": till2,
        "cash1": PaymentMethod.objects.get(profile=till1, name="Cash"),
        "card1": PaymentMethod.objects.get(profile=till1, name="Card"),
        "cash2": PaymentMethod.objects.get(profile=till2, name="Cash"),
        "card2": PaymentMethod.objects.get(profile=till2, name="Card"),
        "espresso": Product.objects.get(sku="COF-ESP"),  # 2.20, 6 %
        "mug": Product.objects.get(sku="MUG-WHT"),  # 9.90, 21 %
    }


@pytest.fixture
def api_as(shop: dict[str, Any]) -> Callable[[str], Api]:
    """``api_as("alice")`` → an API client logged in as that demo user."""

    def make(username: str) -> Api:
        token, _ = token_issue(username=username, password="demo")
        return Api(token)

    return make


def new_uuid() -> str:
    return str(uuid.uuid4())


def order(
    lines: list[tuple[int, str]] | list[tuple[int, str, str]],
    payments: list[tuple[int, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An order payload: lines are (product id, quantity[, unit price]), payments (method id, amount)."""
    body: dict[str, Any] = {
        "uuid": extra.pop("uuid", None) or new_uuid(),
        "created_at": "2026-11-21T10:02:03+01:00",
        "lines": [
            {
                "product": line[0],
                "quantity": line[1],
                **({"unit_price": line[2]} if len(line) > 2 else {}),
            }
            for line in lines
        ],
        "payments": [{"payment_method": m, "amount": a} for m, a in (payments or [])],
    }
    body.update(extra)
    return body


def D(value: str) -> Decimal:
    return Decimal(value)
