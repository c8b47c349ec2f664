"""Free text that people type (reasons, notes, names): what may enter, and how it leaves in
spreadsheets. Pure: no Django.

At the door, text holds no control characters: none at all in one-line fields, and only
newline and tab (with CR of a CR LF pair) in multi-line ones. On the way out, a CSV or XLSX
cell never starts a formula (the OWASP rule for CSV injection: a cell that begins with
``=``, ``+``, ``-``, ``@``, tab or CR is prefixed with a single quote) and never holds a
character a spreadsheet file cannot store — text stored before the door was guarded is
exported safely too.
"""

from __future__ import annotations

import re

# C0 controls, DEL and the C1 controls; newline/tab/CR are allowed in multi-line text only.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What an XLSX (XML 1.0) file cannot hold at all.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TextError(ValueError):
    pass


def check_text(value: str, *, multiline: bool = False) -> str:
    """``value`` unchanged, or TextError naming the first control character and where it is."""
    match = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    if match:
        allowed = " (only newline and tab are allowed)" if multiline else ""
        raise TextError(
            f"control character U+{ord(match.group()):04X} at position {match.start()} "
            f"is not allowed{allowed}"
        )
    return value


def printable(value: str) -> str:
    """``value`` with the characters a spreadsheet file cannot store replaced by U+FFFD."""
    return _XML_ILLEGAL.sub("\ufffd", value)


def cell_text(value: str) -> str:
    """Text for a spreadsheet cell: storable, and never read as a formula."""
    value = printable(value)
    return "'" + value if value.startswith(_FORMULA_START) else value
