"""The database stops answering while a cashier sells (issue 11, point 7), end to end: the
server answers 503 ``service_unavailable`` with ``Retry-After``, the terminal keeps the paid
ticket, says "Server unavailable" (not an error) and sends it by itself, once, when the
database answers again. The failure is real: another connection holds the database's write
lock (SQLite) or an exclusive lock on the orders table (PostgreSQL) beyond the server's
busy/statement timeout, which this module sets to 2 s.

Screenshots land in artifacts/e2e/unavailable-*.png.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, SERVER_ENVS, HttpApi
from tests.e2e.test_terminal import Shots, add_by_tile, pay, validate_and_close_receipt
from tests.e2e.test_terminal_nothing_lost import fresh_till, local_ticket, start_session

pytestmark = pytest.mark.browser

_LOCK = """
import django, os, sys
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'opentill.settings')
django.setup()
from django.db import connection, transaction
with transaction.atomic():  # SQLite: BEGIN IMMEDIATE takes the write lock
    with connection.cursor() as cursor:
        if connection.vendor == 'postgresql':
            cursor.execute('LOCK TABLE orders_order IN ACCESS EXCLUSIVE MODE')
        else:
            cursor.execute('UPDATE django_migrations SET app = app WHERE id = 0')
    print('locked', flush=True)
    sys.stdin.readline()
print('released', flush=True)
"""


@pytest.fixture(scope="module", autouse=True)
def short_timeouts() -> Iterator[None]:
    """The module's server gives up on a locked database after 2 s (instead of 30/120 s)."""
    saved = {
        k: os.environ.get(k) for k in ("OPENTILL_DB_BUSY_TIMEOUT", "OPENTILL_DB_STATEMENT_TIMEOUT")
    }
    os.environ.update({"OPENTILL_DB_BUSY_TIMEOUT": "2", "OPENTILL_DB_STATEMENT_TIMEOUT": "2"})
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def hold_database(server: str) -> subprocess.Popen[str]:
    """Another connection that holds the lock until its stdin gets a line."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _LOCK],
        env=SERVER_ENVS[server],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_ticket_paid_while_the_database_is_unavailable_is_kept_and_sent_once(
    server: str, new_context: Any, artifacts: Path
) -> None:
    shot = Shots(artifacts, "unavailable")
    till = fresh_till(server, "Till 2")
    context = new_context()
    page = context.new_page()
    session = start_session(page, server, till)
    statuses: list[int] = []
    page.on(
        "response",
        lambda r: statuses.append(r.status) if r.url.endswith("/orders") else None,
    )

    holder = hold_database(server)
    try:
        add_by_tile(page, "MUG-BLK")
        pay(page, "cash")
        validate_and_close_receipt(page)
        # The sync met the locked database: 503, the ticket stays, the status says why.
        page.wait_for_selector('#netstatus[data-unavailable="true"]', timeout=30_000)
        button = page.locator("#netstatus")
        assert "Server unavailable" in button.inner_text()
        assert button.get_attribute("data-waiting") == "1"
        assert "unavailable" in (button.get_attribute("title") or "")
        assert "has-error" not in (button.get_attribute("class") or "")
        assert 503 in statuses and 500 not in statuses, statuses
        shot(page, "waiting")
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)

    # The database answers again: the terminal sends the ticket by itself (Retry-After).
    page.wait_for_selector('#netstatus[data-waiting="0"]', timeout=60_000)
    page.wait_for_selector('#netstatus[data-unavailable="false"]')
    assert "Online" in page.locator("#netstatus").inner_text()
    tickets = [t for t in local_ticket(page) if t["session"] == session["id"]]
    assert [(t["sync"], t["status"]) for t in tickets] == [("sent", "created")], tickets
    detail = HttpApi(server, "alice").get(f"/sessions/{session['id']}")
    assert detail["order_count"] == 1
    shot(page, "sent")
    assert not context.errors, context.errors
