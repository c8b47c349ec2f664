"""The X/Z report as a printable document: titled sections of tables and paragraphs.

:func:`build_document` turns the report model (:class:`opentill.reports.model.SessionReport`,
built by :func:`opentill.reports.selectors.session_report`) into a :class:`Document`; every human format (HTML, PDF, plain text, ESC/POS) lays out this
one document, so they show the same figures in the same order and cannot disagree. Pure:
no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from opentill.reports.model import CountRow, SessionReport, TicketNumbers

DASH = "—"
LEFT = "l"
RIGHT = "r"


@dataclass(frozen=True)
class Column:
    title: str
    align: str = LEFT  # "l" or "r"


@dataclass
class Table:
    columns: list[Column]
    rows: list[list[str]]
    total: list[str] | None = None
    empty: str = "None"
    header: bool = True  # False: a key/value list (no header row)


@dataclass
class Paragraph:
    text: str


Block = Table | Paragraph


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]
    signatures: list[tuple[str, str]]
    footer: str = ""


def when(value: str | None) -> str:
    """``2026-11-21T10:02:03+01:00`` → ``2026-11-21 10:02`` (the report's own time zone)."""
    if not value:
        return DASH
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def rate(value: str | None) -> str:
    """``21.0000`` → ``21%``; ``5.5000`` → ``5.5%``."""
    if value is None:
        return DASH
    number = Decimal(value).normalize()
    text = f"{number:f}"
    return f"{text}%"


def quantity(value: str | None) -> str:
    """``2.000`` → ``2``; ``0.350`` → ``0.35``."""
    if value is None:
        return "0"
    text = f"{Decimal(value).normalize():f}"
    return "0" if text in ("-0", "") else text


def _opt(row: Mapping[str, object], key: str) -> str:
    value = row.get(key)
    return DASH if value is None else str(value)


NOT_COUNTED = "not counted"


def _method(row: CountRow) -> str:
    """A count's method, marked when its amount was taken as expected rather than counted."""
    return f"{row['name']} ({NOT_COUNTED})" if row.get("not_counted") else row["name"]


def _count_notes(rows: Sequence[CountRow], stage: str) -> list[Block]:
    """Who approved a difference beyond the maximum; what nobody counted."""
    notes: list[Block] = []
    approvers = sorted({name for r in rows if (name := r.get("approved_by"))})
    if approvers:
        notes.append(Paragraph(f"{stage} difference approved by {', '.join(approvers)}."))
    if any(r.get("not_counted") for r in rows):
        notes.append(
            Paragraph(f"{NOT_COUNTED.capitalize()}: the amount was taken as expected, not counted.")
        )
    return notes


def _kv(rows: Sequence[tuple[str, str]]) -> Table:
    return Table([Column(""), Column("", RIGHT)], [[k, v] for k, v in rows], header=False, empty="")


def _tendered(r: SessionReport) -> list[Block]:
    """Cash given and cash kept: per cash method (and any method that gave change), what
    customers tendered, the change handed back and what the drawer kept (the amount)."""
    rows = [p for p in r["payments"] if p.get("cash") or Decimal(p.get("change") or 0) != 0]
    if not rows:
        return []
    return [
        Table(
            [
                Column("Cash"),
                Column("Tendered", RIGHT),
                Column("Change", RIGHT),
                Column("Kept", RIGHT),
            ],
            [[p["name"], p["tendered"], p["change"], p["amount"]] for p in rows],
        )
    ]


def _numbers(n: TicketNumbers) -> Section:
    """The ticket numbers of the session: the first and the last of the till's series, and
    every gap (numbers no ticket of the till carries) — none on a continuous series."""
    blocks: list[Block] = [
        _kv(
            [
                ("First number", n["first"] or DASH),
                ("Last number", n["last"] or DASH),
                ("Numbered tickets", str(n["count"])),
                ("Missing numbers", str(n.get("missing", 0))),
            ]
        )
    ]
    if n["gaps"]:
        blocks.append(
            Table(
                [Column("Gap from"), Column("to"), Column("Missing", RIGHT)],
                [[g["first"], g["last"], str(g["count"])] for g in n["gaps"]],
            )
        )
    elif n["count"]:
        blocks.append(Paragraph("No gap in the numbers."))
    return Section("Ticket numbers", blocks)


def build_document(r: SessionReport) -> Document:
    """Lay the report model out as sections. Amounts keep the model's exact strings."""
    cur = r.get("currency", "")
    session = r["session"]
    kind = r["kind"]
    title = f"{kind} report {session['name']}" + (" (rescue)" if session.get("rescue") else "")
    subtitle = f"{r['company']} · {r['store']} · {r['profile']}"
    if session.get("training"):  # a training session's figures are no sales
        title = f"TRAINING — not a sale · {title}"
    sections: list[Section] = []

    # Who, where, when.
    closed = when(r.get("closed_at"))
    if r.get("closed_by") and r.get("closed_at"):
        closed += f" by {r['closed_by']}"
    sections.append(
        Section(
            "Session",
            [
                _kv(
                    [
                        ("Company", r["company"]),
                        ("Store", r["store"]),
                        ("Profile", r["profile"]),
                        ("Session", session["name"]),
                        (f"{kind} number", str(session.get("sequence", ""))),
                        ("Cashier", r["cashier"]),
                        ("Opened", when(r.get("opened_at"))),
                        ("Closed", closed),
                        ("State", session["state"].replace("_", " ")),
                        ("Currency", cur),
                    ]
                )
            ],
        )
    )

    o = r["orders"]
    sections.append(
        Section(
            "Sales",
            [
                _kv(
                    [
                        ("Orders", str(o["count"])),
                        ("Sales total", o["sales_total"]),
                        ("Average ticket", o.get("average_ticket", DASH)),
                        (f"Refunds ({o['refunds']})", o["refunds_total"]),
                        ("Discounts", o["discounts"]),
                        ("Cash rounding", o["rounding"]),
                        ("Amount due", o["amount_due_total"]),
                        (f"Voided tickets ({o['voided']})", o.get("voided_total", DASH)),
                        ("Pending tickets", str(o["drafts"])),
                        ("Held tickets (not counted)", str(o.get("held", 0))),
                    ]
                )
            ],
        )
    )

    if "numbers" in r:
        sections.append(_numbers(r["numbers"]))

    rate_total = r.get("sales_by_taxes_total")
    sections.append(
        Section(
            "Sales per tax",
            [
                Table(
                    [
                        Column("Rate"),
                        Column("Net", RIGHT),
                        Column("Tax", RIGHT),
                        Column("Gross", RIGHT),
                    ],
                    [[t["taxes"], t["net"], t["tax"], t["gross"]] for t in r["sales_by_taxes"]],
                    total=["Total", rate_total["net"], rate_total["tax"], rate_total["gross"]]
                    if rate_total and r["sales_by_taxes"]
                    else None,
                    empty="No sales",
                )
            ],
        )
    )

    if "taxes" in r:
        sections.append(_tax_summary(r))

    if "sales_by_category" in r:
        sections.append(
            Section(
                "Sales per category",
                [
                    Table(
                        [
                            Column("Category"),
                            Column("Qty", RIGHT),
                            Column("Net", RIGHT),
                            Column("Gross", RIGHT),
                        ],
                        [
                            [c["category"], quantity(c["quantity"]), c["net"], c["gross"]]
                            for c in r["sales_by_category"]
                        ],
                        empty="No sales",
                    )
                ],
            )
        )

    sections.append(
        Section(
            "Payments",
            [
                Table(
                    [Column("Method"), Column("Count", RIGHT), Column("Amount", RIGHT)],
                    [[p["name"], str(p["count"]), p["amount"]] for p in r["payments"]],
                    total=["Total", "", r["payments_total"]]
                    if r.get("payments_total") and r["payments"]
                    else None,
                    empty="No payments",
                ),
                *_tendered(r),
            ],
        )
    )

    moves = Table(
        [
            Column("Kind"),
            Column("Method"),
            Column("To / from"),
            Column("Reason"),
            Column("Amount", RIGHT),
        ],
        [
            [
                m["kind"],
                m["payment_method"],
                m["destination"] or DASH,
                m["reason"] or DASH,
                m["amount"],
            ]
            for m in r["cash_moves"]
        ],
        empty="None",
    )
    blocks: list[Block] = [moves]
    if r["cash_moves"] and r.get("cash_moves_total"):
        t = r["cash_moves_total"]
        blocks.append(_kv([("Drops", t["drop"]), ("Deposits", t["deposit"])]))
    sections.append(Section("Cash moves", blocks))

    counts = [
        Column("Method"),
        Column("Expected", RIGHT),
        Column("Counted", RIGHT),
        Column("Diff.", RIGHT),
    ]
    opening_total = r.get("opening_total") or {}
    sections.append(
        Section(
            "Opening",
            [
                Table(
                    counts,
                    [
                        [_method(c), _opt(c, "expected"), c["counted"], _opt(c, "difference")]
                        for c in r["opening"]
                    ],
                    total=[
                        "Total",
                        _opt(opening_total, "expected"),
                        _opt(opening_total, "counted"),
                        _opt(opening_total, "difference"),
                    ]
                    if len(r["opening"]) > 1
                    else None,
                    empty="No opening count",
                ),
                *_count_notes(r["opening"], "Opening"),
            ],
        )
    )
    if r.get("partial_counts"):
        sections.append(
            Section(
                "Partial counts (X)",
                [
                    Table(
                        [Column("Method"), Column("At"), *counts[1:]],
                        [
                            [
                                c["name"],
                                when(c.get("at")),
                                _opt(c, "expected"),
                                c["counted"],
                                _opt(c, "difference"),
                            ]
                            for c in r["partial_counts"]
                        ],
                    )
                ],
            )
        )
    if r.get("expected_now"):
        sections.append(
            Section(
                "Expected now",
                [
                    Table(
                        [Column("Method"), Column("Expected", RIGHT)],
                        [[e["name"], e["expected"]] for e in r["expected_now"]],
                    )
                ],
            )
        )
    closing_total = r.get("closing_total") or {}
    has_total = bool(r["closing"]) and bool(closing_total)
    sections.append(
        Section(
            "Closing",
            [
                Table(
                    counts,
                    [
                        [_method(c), _opt(c, "expected"), c["counted"], _opt(c, "difference")]
                        for c in r["closing"]
                    ],
                    total=[
                        "Total",
                        *(_opt(closing_total, k) for k in ("expected", "counted", "difference")),
                    ]
                    if has_total
                    else None,
                    empty="Not closed yet",
                ),
                *(
                    [
                        Table(
                            [Column("Method"), Column("Kept", RIGHT), Column("Transferred", RIGHT)],
                            [
                                [c["name"], _opt(c, "keep"), _opt(c, "transferred")]
                                for c in r["closing"]
                            ],
                            total=[
                                "Total",
                                _opt(closing_total, "keep"),
                                _opt(closing_total, "transferred"),
                            ]
                            if has_total
                            else None,
                        )
                    ]
                    if r["closing"]
                    else []
                ),
                *_count_notes(r["closing"], "Closing"),
            ],
        )
    )

    invoices: list[Block] = [
        Table(
            [Column("Number"), Column("Customer"), Column("Total", RIGHT)],
            [
                [i["number"] + (" *" if i["consolidated"] else ""), i["customer"], i["total"]]
                for i in r["invoices"]
            ],
            empty="None",
        )
    ]
    summary = r.get("invoices_summary")
    if summary and r["invoices"]:
        invoices.append(
            Paragraph(
                f"* consolidated at close. {summary['consolidated']} consolidated, "
                f"{summary['individual']} individual, {summary['credit_notes']} credit note(s) (CN)."
            )
        )
    sections.append(Section("Invoices", invoices))

    j = r["journal"]
    journal: list[Block] = [
        Table(
            [Column("Account"), Column("Debit", RIGHT), Column("Credit", RIGHT)],
            [[f"{a['code']} {a['name']}", a["debit"], a["credit"]] for a in j["accounts"]],
            total=["Total", j["debit"], j["credit"]] if j["accounts"] else None,
            empty="No journal entry yet",
        )
    ]
    refs = [f"{e['reference']} ({e['date']})" for e in j.get("entry_list", [])]
    journal.append(
        Paragraph(
            f"{j['entries']} entr{'y' if j['entries'] == 1 else 'ies'}, {j['lines']} lines"
            + (": " + "; ".join(refs) if refs else ".")
        )
    )
    sections.append(Section("Journal entries", journal))

    g = r.get("grand_total")
    if g:
        sections.append(
            Section(
                "Grand total",
                [
                    _kv(
                        [
                            ("Previous", g["previous"]),
                            ("This session", g["session"]),
                            ("Perpetual total", g["perpetual"]),
                            ("Perpetual absolute", g["perpetual_absolute"]),
                        ]
                    ),
                    Paragraph(
                        f"{g['sessions']} session(s) of {r['profile']} since {when(g['since'])}."
                    ),
                ],
            )
        )

    notes: Mapping[str, object] = r.get("notes") or {}
    texts = [
        f"{label}: {notes[key]}"
        for key, label in (
            ("opening", "Opening"),
            ("closing", "Closing"),
            ("force_close_reason", "Force closed"),
        )
        if notes.get(key)
    ]
    if texts:
        sections.append(Section("Notes", [Paragraph(t) for t in texts]))

    signatures = [(s["role"], s.get("name") or "") for s in r.get("signatures", [])] or [
        ("Cashier", r["cashier"]),
        ("Manager", ""),
    ]
    footer = f"Printed {when(r.get('generated_at'))}" if r.get("generated_at") else ""
    return Document(title, subtitle, sections, signatures, footer)


def _tax_summary(r: SessionReport) -> Section:
    """The VAT summary an accountant files: per tax, the base and tax of sales, then of
    refunds on a line of their own, and the tax due in all."""
    rows: list[list[str]] = []
    for t in r["taxes"]:
        rows.append([t["name"], t["sales_base"], t["sales_tax"]])
        if Decimal(t["refunds_base"]) or Decimal(t["refunds_tax"]):
            rows.append([f"{t['name']} refunds", t["refunds_base"], t["refunds_tax"]])
    total = r.get("taxes_total")
    return Section(
        "Taxes",
        [
            Table(
                [Column("Tax"), Column("Base", RIGHT), Column("Tax", RIGHT)],
                rows,
                total=["Tax due", "", total["amount"]] if total and rows else None,
                empty="No tax",
            )
        ],
    )
