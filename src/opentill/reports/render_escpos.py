"""The report for thermal receipt printers: ESC/POS bytes made with python-escpos, and the
raw TCP send (port 9100) to a network printer. Plus :func:`decode_escpos`, which turns
those bytes back into the printed text (for previews and tests).
"""

from __future__ import annotations

import socket
import unicodedata

from escpos.printer import Dummy

from opentill.reports.document import build_document
from opentill.reports.model import SessionReport
from opentill.reports.render_text import BOLD, CENTER, HEADING, TITLE, layout

# Characters per line in font A: Epson-compatible printers print 42 on 80 mm paper
# (TM-T88 class, 512 dots) and 32 on 58 mm paper (384 dots).
COLUMNS = {80: 42, 58: 32}
PROFILE = "TM-T88V"
CODEPAGE = "CP858"  # Latin-1 with the euro sign; ESC t 19 on Epson printers


_PLAIN = str.maketrans({"—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "..."})


def printable(text: str) -> str:
    """``text`` with what the printer's code page lacks replaced by its closest ASCII."""
    text = text.translate(_PLAIN)
    try:
        text.encode(CODEPAGE.lower())
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        try:
            char.encode(CODEPAGE.lower())
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(plain or "?")
    return "".join(out)


def paper_columns(paper: int) -> int:
    if paper not in COLUMNS:
        raise ValueError(f"paper width must be one of {sorted(COLUMNS)} mm, not {paper}")
    return COLUMNS[paper]


def render_escpos(report: SessionReport, *, paper: int = 80) -> bytes:
    """ESC/POS bytes of the report for ``paper`` mm wide rolls, ending with a cut."""
    columns = paper_columns(paper)
    printer = Dummy(profile=PROFILE)
    printer.hw("INIT")
    printer.charcode(CODEPAGE)
    current: str | None = None
    for line in layout(build_document(report), columns, title_width=columns // 2):
        if line.style != current:
            current = line.style
            printer.set(
                align="center" if line.style in (TITLE, CENTER) else "left",
                bold=line.style in (TITLE, HEADING, BOLD),
                double_width=line.style == TITLE,
                double_height=line.style == TITLE,
                normal_textsize=line.style != TITLE,
            )
        printer.textln(printable(line.text))
    printer.set(normal_textsize=True, bold=False, align="left")
    printer.cut()
    return printer.output


def send_to_printer(
    host: str,
    port: int,
    data: bytes,
    *,
    timeout: float,  # float ok: seconds
) -> int:
    """Send raw bytes to a network printer (IPv4 or IPv6); ``timeout`` bounds the connect
    and the whole write. Returns the number of bytes sent; raises ``OSError``."""
    with socket.create_connection((host, port), timeout=timeout) as device:
        device.sendall(data)
        try:
            device.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    return len(data)


# --- decoding ---------------------------------------------------------------------------

_CODEPAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858"}
_ESC_ONE_PARAMETER = set(b"!-EGMadJ")


class EscposDecodeError(ValueError):
    pass


def decode_escpos(data: bytes) -> str:
    """The text an ESC/POS byte stream prints, with the formatting commands this module
    emits stripped (styles, alignment, code page, feed, cut); a native QR code reads as
    ``[QR <its text>]`` on a line. Unknown commands raise."""
    out: list[str] = []
    encoding = "cp437"
    qr_data = ""
    i = 0
    n = len(data)
    while i < n:
        byte = data[i]
        if byte == 0x1B:  # ESC
            if i + 1 >= n:
                raise EscposDecodeError("truncated ESC sequence")
            command = data[i + 1]
            if command == ord("@"):
                i += 2
            elif command == ord("t"):
                page = data[i + 2]
                if page not in _CODEPAGES:
                    raise EscposDecodeError(f"unknown code page {page}")
                encoding = _CODEPAGES[page]
                i += 3
            elif command in _ESC_ONE_PARAMETER:
                i += 3
            else:
                raise EscposDecodeError(f"unknown command ESC {command:#x} at {i}")
        elif byte == 0x1D:  # GS
            command = data[i + 1]
            if command in (ord("!"), ord("B")):
                i += 3
            elif command == ord("V"):
                mode = data[i + 2]
                i += 3 if mode in (0, 1, 48, 49) else 4
            elif command == ord("(") and data[i + 2 : i + 3] == b"k":  # a 2D code (receipts)
                size = data[i + 3] + 256 * data[i + 4]
                block = data[i + 5 : i + 5 + size]
                if len(block) < size or size < 2 or block[0] != 49:
                    raise EscposDecodeError(f"malformed QR command at {i}")
                if block[1] == 80:  # store the data: cn fn m data
                    qr_data = block[3:].decode("utf-8")
                elif block[1] == 81:  # print what was stored
                    out.append(f"[QR {qr_data}]\n")
                i += 5 + size
            else:
                raise EscposDecodeError(f"unknown command GS {command:#x} at {i}")
        elif byte == 0x0A:
            out.append("\n")
            i += 1
        elif byte < 0x20:
            raise EscposDecodeError(f"unexpected control byte {byte:#x} at {i}")
        else:
            start = i
            while i < n and data[i] >= 0x20:
                i += 1
            out.append(data[start:i].decode(encoding))
    return "".join(out)
