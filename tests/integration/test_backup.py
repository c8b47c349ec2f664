"""``opentill backup`` and ``opentill restore``: a backup taken while the shop runs restores
every closed session intact, on SQLite (online backup API) and PostgreSQL (pg_dump)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opentill.cli import main
from opentill.orders.models import Order
from opentill.pos.models import Session
from tests.integration.helpers import open_session
from tests.integration.test_reports import run_scenario


def closed_sessions() -> list[tuple[str, str, int]]:
    return [
        (s.name, s.state, s.orders.count())
        for s in Session.objects.filter(state=Session.State.CLOSED).order_by("name")
    ]


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_every_closed_session(
    api_as: Any, shop: dict[str, Any], tmp_path: Path, capsys
):
    run_scenario(api_as, shop)
    before = closed_sessions()
    orders_before = Order.objects.count()
    assert len(before) == 2

    path = tmp_path / "shop.backup"
    assert main(["backup", "-o", str(path)]) == 0
    assert "backup written to" in capsys.readouterr().out
    assert path.stat().st_size > 0

    # Work after the backup: a new session on the other till.
    open_session(
        api_as("bob"), shop["till2"].pk, [{"payment_method": shop["cash2"].pk, "amount": "0.00"}]
    )
    assert Session.objects.filter(profile=shop["till2"]).exists()

    assert main(["restore", str(path), "--yes"]) == 0
    assert closed_sessions() == before
    assert Order.objects.count() == orders_before
    assert not Session.objects.filter(profile=shop["till2"]).exists()


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_file_that_is_not_a_backup(
    api_as: Any, shop: dict[str, Any], tmp_path: Path, capsys
):
    open_session(
        api_as("bob"), shop["till2"].pk, [{"payment_method": shop["cash2"].pk, "amount": "0.00"}]
    )
    before = list(Session.objects.values_list("name", "state"))
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    assert main(["restore", str(bogus), "--yes"]) == 2
    assert "is not an OpenTill" in capsys.readouterr().err
    assert list(Session.objects.values_list("name", "state")) == before  # nothing replaced
    assert main(["restore", str(tmp_path / "missing"), "--yes"]) == 2
