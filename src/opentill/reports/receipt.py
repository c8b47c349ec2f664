"""A ticket's receipt with its fiscal proof (issue #13 item 7), in every format: plain text,
HTML (the QR code as inline SVG), PDF (a receipt-wide page, the QR code drawn) and ESC/POS
(the printer's native QR command), and the print job that sends it to the till's receipt
printer through the durable queue (:mod:`opentill.reports.printing`).

The receipt is built once (:func:`receipt_data`: the order, its lines, taxes and payments,
and the proof: the ticket's record in the fiscal journal, its signature excerpt and the QR
payload of :func:`opentill.fiscal.events.qr_payload`) and laid out once
(:func:`receipt_lines`); every format renders those lines, so they cannot disagree.

The receipt handed out at the sale is the terminal's; every receipt asked for afterwards
(this module's endpoints: screen, print or a file) is a reprint: a ``reprint`` record in the
till's journal (written in the request's transaction) and ``REPRINT`` on the receipt.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import segno
from django.db import transaction
from django.utils import timezone

from opentill.fiscal import events
from opentill.fiscal.devices.selectors import order_device_line
from opentill.money import fmt
from opentill.orders.models import Order
from opentill.pos.models import Session
from opentill.reports.render_text import BOLD, CENTER, NORMAL, TITLE, Line

TRAINING = "TRAINING — not a sale"
REPRINT = "REPRINT"
NOT_SIGNED = "Not yet signed — the proof prints on a reprint"
#: The fiscal device's line (issue #13 item 8): what the device answered, or why it did not.
DEVICE_KEY = "device"
COLUMNS = {"80": 42, "58": 32, "a4": 64}


# --- the data ---------------------------------------------------------------------------------


def receipt_data(order: Order, *, reprint: bool = False) -> dict[str, Any]:
    """What the receipt says: the shop, the ticket, its lines, taxes and payments, and the
    proof from the fiscal journal (``None`` while the ticket has no record)."""
    session: Session = order.session
    profile = session.profile
    company = profile.store.company
    places = company.places
    record = events.order_record(
        profile_id=profile.pk, session_id=session.pk, order_uuid=str(order.uuid)
    )
    proof = events.receipt_proof(record) if record is not None else None
    lines = [
        {
            "name": line.product.name,
            "quantity": line.quantity,
            "unit_price": fmt(line.unit_price, places),
            "discount_percent": line.discount_percent,
            "total": fmt(line.total, places),
        }
        for line in order.lines.select_related("product").order_by("id")
    ]
    taxes: dict[str, list[Decimal]] = {}
    for name, base, amount in order_taxes(order):
        sums = taxes.setdefault(name, [Decimal(0), Decimal(0)])
        sums[0] += base
        sums[1] += amount
    payments = [
        {
            "method": p.payment_method.name,
            "amount": fmt(p.amount, places),
            "tendered": fmt(p.tendered, places),
            "change": fmt(p.change, places),
        }
        for p in order.payments.select_related("payment_method").order_by("id")
    ]
    tz = _zone(company.time_zone)
    return {
        "company": company.name,
        "store": profile.store.name,
        "store_address": profile.store.address,
        "till": profile.code,
        "currency": company.currency,
        "session": session.name,
        "uuid": str(order.uuid),
        "number": order.number,
        "state": order.state,
        "ordered_at": timezone.localtime(order.created_at, tz).isoformat(),
        "cashier": order.user.get_username(),
        "lines": lines,
        "net_total": fmt(order.net_total, places),
        "tax_total": fmt(order.tax_total, places),
        "total": fmt(order.total, places),
        "rounding": fmt(order.rounding, places),
        "amount_due": fmt(order.amount_due, places),
        "taxes": [
            {"name": name, "base": fmt(base, places), "amount": fmt(amount, places)}
            for name, (base, amount) in sorted(taxes.items())
        ],
        "payments": payments,
        "training": bool(getattr(session, "training", False)),
        "reprint": reprint,
        "proof": proof,
        DEVICE_KEY: order_device_line(order.pk),
    }


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def order_taxes(order: Order) -> list[tuple[str, Decimal, Decimal]]:
    from opentill.orders.models import OrderLineTax

    return list(
        OrderLineTax.objects.filter(order=order)
        .order_by("id")
        .values_list("name", "base", "amount")
    )


# --- the layout -------------------------------------------------------------------------------


def _kv(label: str, value: str, width: int, style: str = NORMAL) -> list[Line]:
    if len(label) + 1 + len(value) <= width:
        return [Line(label + " " * (width - len(label) - len(value)) + value, style)]
    return [Line(label[:width], style), Line(value[-width:].rjust(width), style)]


def _qty(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def receipt_lines(r: dict[str, Any], width: int) -> list[Line]:
    """The receipt as lines of at most ``width`` characters (the QR code is not a line: each
    format draws it after them, from ``r["proof"]["qr"]``)."""
    out: list[Line] = []
    rule = Line("-" * width)
    if r["reprint"]:
        out.append(Line(REPRINT, TITLE))
    if r["training"]:
        out.append(Line(TRAINING.upper()[:width], CENTER))
    out.append(Line(r["company"][:width], CENTER))
    out.append(Line(r["store"][:width], CENTER))
    for part in (r["store_address"] or "").splitlines():
        out.append(Line(part[:width], CENTER))
    out.append(rule)
    out.append(Line(f"Ticket {r['number'] or r['uuid'][:8]}"[:width], BOLD))
    out += _kv("Date", r["ordered_at"][:16].replace("T", " "), width)
    out += _kv("Till", f"{r['till']} · {r['session']}", width)
    out += _kv("Cashier", r["cashier"], width)
    out.append(rule)
    for line in r["lines"]:
        out.append(Line(line["name"][:width]))
        detail = f"  {_qty(line['quantity'])} x {line['unit_price']}"
        if line["discount_percent"]:
            detail += f" -{_qty(line['discount_percent'])}%"
        out += _kv(detail, line["total"], width)
    out.append(rule)
    if Decimal(r["rounding"]):
        out += _kv("Total", r["total"], width)
        out += _kv("Rounding", r["rounding"], width)
    out += _kv(f"TOTAL {r['currency']}", r["amount_due"], width, BOLD)
    for tax in r["taxes"]:
        out += _kv(f"{tax['name']} on {tax['base']}", tax["amount"], width)
    out += _kv("Net", r["net_total"], width)
    out.append(rule)
    for p in r["payments"]:
        out += _kv(p["method"], p["tendered"], width)
        if Decimal(p["change"]):
            out += _kv("Change", p["change"], width)
    out.append(rule)
    proof = r["proof"]
    if proof is None:
        out += [Line(t) for t in _wrap(NOT_SIGNED, width)]
    else:
        out += _kv("Record", f"{r['till']} #{proof['sequence']}", width)
        out += _kv("Signature", proof["excerpt"], width)
        out += _kv("Key", proof["key_id"], width)
    device = r.get(DEVICE_KEY)
    if device:
        out += [Line(t) for t in _wrap(str(device), width)]
    if r["training"]:
        out.append(Line(TRAINING.upper()[:width], CENTER))
    if r["reprint"]:
        out.append(Line(REPRINT, CENTER))
    return out


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def _center(text: str, width: int) -> str:
    return text.center(width).rstrip()


# --- the formats ------------------------------------------------------------------------------


def render_receipt_text(r: dict[str, Any], *, width: int = 42) -> str:
    """Plain text; the QR code's payload on the last line (a text file cannot draw it)."""
    lines = [
        _center(x.text, width) if x.style in (TITLE, CENTER) else x.text
        for x in receipt_lines(r, width)
    ]
    if r["proof"] is not None:
        lines.append(f"QR: {r['proof']['qr']}")
    return "\n".join(lines) + "\n"


def qr_svg(payload: str, *, scale: int = 3) -> str:
    """The QR code as an inline SVG element (error correction M)."""
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(
        buffer, kind="svg", scale=scale, xmldecl=False, svgns=True, border=2
    )
    return buffer.getvalue().decode("utf-8")


def render_receipt_html(r: dict[str, Any], *, width: int = 42) -> str:
    """A page holding the receipt as it prints, and the QR code."""
    body = "\n".join(
        f'<div class="{x.style}">{html.escape(x.text) or "&nbsp;"}</div>'
        for x in receipt_lines(r, width)
    )
    qr = f'<div class="qr">{qr_svg(r["proof"]["qr"])}</div>' if r["proof"] else ""
    title = html.escape(f"Receipt {r['number'] or r['uuid']}")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>"
        f"body{{font-family:monospace;white-space:pre;width:{width}ch;margin:1em auto}}"
        ".title,.center{text-align:center}.title,.bold{font-weight:bold}"
        ".qr{text-align:center;margin-top:1em}</style></head>"
        f'<body><main class="receipt">{body}{qr}</main></body></html>'
    )


def render_receipt_pdf(r: dict[str, Any], *, width: int = 42) -> bytes:
    """A PDF page as wide as an 80 mm roll and as long as the receipt, the QR code drawn
    module by module (vector: it scans at any zoom)."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from opentill.reports.render_pdf import FONT, FONT_BOLD, _fonts

    _fonts()
    lines = receipt_lines(r, width)
    size, leading, margin = 7.2, 9.0, 4 * mm
    page_width = 80 * mm
    qr = segno.make_qr(r["proof"]["qr"], error="m") if r["proof"] else None
    module = 0.9 * mm / 2
    qr_side = (qr.symbol_size(scale=1, border=2)[0] * module) if qr else 0
    height = margin * 2 + leading * len(lines) + (qr_side + leading if qr else 0)
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(page_width, height))
    page.setTitle(f"Receipt {r['number'] or r['uuid']}")
    y = height - margin - size
    for line in lines:
        bold = line.style in (TITLE, BOLD)
        page.setFont(FONT_BOLD if bold else FONT, size)
        if line.style in (TITLE, CENTER):
            page.drawCentredString(page_width / 2, y, line.text)
        else:
            page.drawString(margin, y, line.text)
        y -= leading
    if qr is not None:
        left = (page_width - qr_side) / 2
        top = y
        for row_number, row in enumerate(qr.matrix_iter(scale=1, border=2)):
            for column, dark in enumerate(row):
                if dark:
                    page.rect(
                        left + column * module,
                        top - (row_number + 1) * module,
                        module,
                        module,
                        stroke=0,
                        fill=1,
                    )
    page.showPage()
    page.save()
    return buffer.getvalue()


def render_receipt_escpos(r: dict[str, Any], *, paper: int = 80) -> bytes:
    """ESC/POS bytes: the lines, then the QR code with the printer's native command
    (``GS ( k``: model 2, error correction M), then a cut."""
    from escpos.printer import Dummy

    from opentill.reports.render_escpos import CODEPAGE, PROFILE, paper_columns, printable

    columns = paper_columns(paper)
    printer = Dummy(profile=PROFILE)
    printer.hw("INIT")
    printer.charcode(CODEPAGE)
    current: str | None = None
    for line in receipt_lines(r, columns):
        if line.style != current:
            current = line.style
            printer.set(
                align="center" if line.style in (TITLE, CENTER) else "left",
                bold=line.style in (TITLE, BOLD),
                double_width=line.style == TITLE,
                double_height=line.style == TITLE,
                normal_textsize=line.style != TITLE,
            )
        printer.textln(printable(line.text))
    printer.set(normal_textsize=True, bold=False, align="center")
    if r["proof"] is not None:
        printer.qr(r["proof"]["qr"], ec=1, size=4 if paper == 80 else 3, native=True)
    printer.set(align="left")
    printer.cut()
    return printer.output


# --- asked again: a reprint -------------------------------------------------------------------

FORMATS = ("json", "html", "pdf", "text", "escpos")
PAPERS = ("80", "58")


@dataclass(frozen=True)
class Rendered:
    body: bytes | str
    content_type: str
    filename: str | None


def render_receipt(r: dict[str, Any], *, format: str, paper: str | None) -> Rendered:
    name = f"receipt-{(r['number'] or r['uuid']).replace('/', '-')}"
    columns = COLUMNS[paper or "80"]
    if format == "html":
        return Rendered(render_receipt_html(r, width=columns), "text/html; charset=utf-8", None)
    if format == "text":
        return Rendered(render_receipt_text(r, width=columns), "text/plain; charset=utf-8", None)
    if format == "pdf":
        return Rendered(render_receipt_pdf(r), "application/pdf", f"{name}.pdf")
    if format == "escpos":
        return Rendered(
            render_receipt_escpos(r, paper=int(paper or 80)),
            "application/octet-stream",
            f"{name}.escpos",
        )
    raise ValueError(format)


def receipt_reprint(*, order: Order, user: Any, format: str) -> dict[str, Any]:
    """The receipt asked for again: a ``reprint`` record (``format``: ``screen`` for the
    JSON a terminal shows, else the file's format or ``print``) and the receipt marked
    REPRINT. One transaction: no reprint without its record."""
    with transaction.atomic():
        session = order.session
        events.reprint_record(
            profile=session.profile,
            session=session,
            what="receipt",
            reference=order.number or str(order.uuid),
            medium=format,
            user=user,
            order=str(order.uuid),
            number=order.number,
        )
        return receipt_data(order, reprint=True)


# --- printed: a job of the durable queue ------------------------------------------------------


def receipt_escpos(job: Any) -> bytes:
    """The bytes a receipt print job sends (read when the attempt runs: a ticket signed
    since the job was queued prints its proof)."""
    return render_receipt_escpos(receipt_data(job.order, reprint=job.reprint), paper=job.width)
