"""The report as plain text (``reports/render_text.py``) at every width."""

from __future__ import annotations

import pytest

from opentill.reports.document import RIGHT, Column, Table
from opentill.reports.render_text import render_text, table_lines
from tests.unit.reports.sample import MONEY, REPORT


@pytest.mark.parametrize("width", [80, 42, 32])
def test_text_fits_the_width_and_keeps_every_amount(width):
    text = render_text(REPORT, width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert MONEY.findall(text) == MONEY.findall(render_text(REPORT))
    assert "3456.70" in text and "23456.70" in text and "-1.20" in text


def test_narrow_tables_become_one_block_per_row():
    table = Table(
        [Column("Method"), *(Column(t, RIGHT) for t in ("Expected", "Counted", "Diff.", "Kept"))],
        [["Cash", "12345.67", "12344.47", "-1.20", "150.00"]],
    )
    wide = [line.text for line in table_lines(table, 60)]
    assert wide[2].split() == ["Cash", "12345.67", "12344.47", "-1.20", "150.00"]
    narrow = [line.text for line in table_lines(table, 32)]
    assert narrow[0] == "Cash"
    assert narrow[1] == "  Expected" + " " * 14 + "12345.67"
    assert all(len(line) <= 32 for line in narrow)


def test_long_text_wraps_and_never_cuts_a_number():
    text = render_text(REPORT, width=32)
    words = text.split()
    assert "Bières" in words and "saison" in words
    assert "twice" in words
    assert all(len(line) <= 32 for line in text.splitlines())
