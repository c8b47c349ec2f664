"""The report as ESC/POS bytes (``reports/render_escpos.py``) and their decoding."""

from __future__ import annotations

import pytest

from opentill.reports.render_escpos import (
    EscposDecodeError,
    decode_escpos,
    paper_columns,
    printable,
    render_escpos,
)
from opentill.reports.render_text import render_text
from tests.unit.reports.sample import MONEY, REPORT


@pytest.mark.parametrize("paper", [80, 58])
def test_escpos_decodes_to_the_printed_text(paper):
    data = render_escpos(REPORT, paper=paper)
    assert data.startswith(b"\x1b@\x1bt\x13")  # initialise, code page 858
    assert data.endswith(b"\x1dV\x00")  # cut
    assert "ë".encode("cp858") in data  # accents in the printer's code page
    printed = decode_escpos(data)
    columns = paper_columns(paper)
    assert max(len(line) for line in printed.splitlines()) <= columns
    assert MONEY.findall(printed) == MONEY.findall(render_text(REPORT))
    assert "Brasserie Zoë" in printed and "Cashier: zoë" in printed
    assert "—" not in printed  # not in the code page: printed as "-"


def test_escpos_paper_and_decoding_errors():
    with pytest.raises(ValueError):
        paper_columns(76)
    with pytest.raises(EscposDecodeError):
        decode_escpos(b"\x1b\x99")
    with pytest.raises(EscposDecodeError):
        decode_escpos(b"\x1bt\x63")
    assert printable("a — b ‘c’ ő ł") == "a - b 'c' o ?"
