"""Shared fixtures: the demo shop, users with tokens, an API client.

The demo shop is loaded once per test session into the test database, right after it is
created (``django_db_setup``); each test then runs in a transaction rolled back at its end,
so it finds the shop as loaded. A transactional test (``transaction=True``, ``live_server``)
commits for real and ends with a flush that empties every table: the flush reloads the demo
shop at once, so the tests after it find it too."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.test import Client
from hypothesis import settings as hypothesis_settings

from opentill.demo import demo_load
from opentill.identity.services import token_issue

#: ``scripts/test --fast`` runs hypothesis with ``--hypothesis-profile=fast``: a property
#: test without its own count tries 10 examples instead of 100, and one with its own count
#: ``examples(n)`` a tenth of it (see :func:`examples`). The full suite keeps every count.
hypothesis_settings.register_profile("fast", max_examples=10)


def examples(n: int) -> int:
    """``@settings(max_examples=examples(n))``: ``n`` examples, or a tenth of them (at least
    10) under the ``fast`` hypothesis profile of ``scripts/test --fast``."""
    if hypothesis_settings.get_current_profile_name() == "fast":
        return max(10, n // 10)
    return n


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    # Password hashing is deliberately slow; tests log in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _flush_in_maintenance()
    _share_static_files_index()


def _share_static_files_index() -> None:
    """Each ``django.test.Client`` loads the middleware anew, and WhiteNoise then lists and
    stats every static file the finders know (the admin's, the API explorer's, the
    terminal's): a tenth of a second per client, hundreds of clients per run. The files do
    not change while the tests run, so the first client's index serves the others (each
    still gets its own middleware and serves the same files the same way)."""
    from whitenoise.middleware import WhiteNoiseMiddleware

    listed = WhiteNoiseMiddleware.add_files_from_finders
    index: dict[str, Any] = {}

    def add_files_from_finders(self: WhiteNoiseMiddleware) -> None:
        if not index:
            listed(self)
            index.update(self.files)
        else:
            self.files.update(index)

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders  # type: ignore[method-assign]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that commits for real (``transaction=True``, ``transactional_db``,
    ``live_server``) ends with a flush of every table and a reload of the demo shop, a second
    or two each: it is ``slow``, so left out of ``scripts/test --fast``."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        commits = bool(
            marker and (marker.kwargs.get("transaction") or (marker.args[:1] == (True,)))
        )
        fixtures = getattr(item, "fixturenames", ())
        if commits or "transactional_db" in fixtures or "live_server" in fixtures:
            item.add_marker(pytest.mark.slow)


def _flush_in_maintenance() -> None:
    """Transactional tests end by emptying every table (DELETE on SQLite, TRUNCATE on
    PostgreSQL), which the database protection of closed records refuses: the flush runs
    through its deliberate way past it (opentill.common.protection.maintenance)."""
    from contextlib import ExitStack

    from django.test import TransactionTestCase

    from opentill.common.protection import maintenance

    teardown = TransactionTestCase._fixture_teardown

    def fixture_teardown(self: TransactionTestCase) -> None:
        aliases = self._databases_names(include_mirrors=False)
        with ExitStack() as stack:
            for alias in aliases:
                stack.enter_context(maintenance(alias))
            teardown(self)
        if DEFAULT_DB_ALIAS in aliases:
            demo_load()  # the flush emptied the session's demo shop: back for the next test

    TransactionTestCase._fixture_teardown = fixture_teardown  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """pytest-django's test database, with the demo shop loaded once for the whole session."""
    with django_db_blocker.unblock():
        demo_load()


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one hypothesis example in a savepoint rolled back at its end.

    Hypothesis runs every example inside one test, so one test transaction: without this,
    each example would find the rows, sessions and settings the examples before it left.
    ``with rolled_back():`` around the body gives each example the database the test
    started with (and a failing example replays the same way when shrunk)."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


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


def shop_rows() -> dict[str, Any]:
    """The demo shop's rows a test needs, looked up afresh (so nothing cached on an instance
    outlives the test that cached it)."""
    from opentill.catalog.models import Product
    from opentill.pos.models import PaymentMethod, PosProfile

    till1 = PosProfile.objects.filter(code="TILL1").first()
    if till1 is None:  # emptied by something other than a test's flush: load it again
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


def api_for(username: str) -> Api:
    """An API client logged in as that demo user (password "demo")."""
    token, _ = token_issue(username=username, password="demo")
    return Api(token)


@pytest.fixture
def shop(db: Any) -> dict[str, Any]:
    """The demo shop (loaded once per session, see ``django_db_setup``): company, two tills
    with Cash and Card, users manager/alice/bob/accountant."""
    return shop_rows()


@pytest.fixture
def api_as(shop: dict[str, Any]) -> Callable[[str], Api]:
    """``api_as("alice")`` → an API client logged in as that demo user."""
    return api_for


@pytest.fixture(scope="module")
def module_db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Rows every test of a module shares, built once (like Django's ``setUpTestData``).

    A module-scoped fixture that needs the database requests this one and builds its rows
    with ``shop_rows()`` and ``api_for()``: they live in a transaction that each test of the
    module runs inside (its own changes rolled back at its end, as usual), and that is
    rolled back when the module is done. Hand tests plain values (ids), not model instances,
    so nothing one test changes on an object reaches the next. Not for modules with tests
    that commit for real (``transaction=True``): their flush cannot run inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


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
