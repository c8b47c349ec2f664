"""Exports for accountants: sessions, orders, payments, taxes and journal entries of a date range as
CSV or XLSX, and journal entries as a beancount ledger.

Every export streams: rows come from ``values_list(...).iterator(chunk_size=…)`` and are
written as they arrive (CSV in chunks, XLSX with openpyxl's write-only mode, beancount entry
by entry), so memory stays bounded whatever the number of rows.

Date ranges are inclusive local dates (the server's time zone): sessions by the time they
were created, orders and payments by the order's time, journal entries by their date.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from opentill.accounting.models import JournalLine, LedgerAccount
from opentill.common.fields import MoneyField
from opentill.common.text import cell_text, printable
from opentill.money import MONEY_PLACES, RATE_PLACES, currency_places, fmt
from opentill.orders.models import Order, OrderLineTax, Payment
from opentill.orders.selectors import SOLD_STATES
from opentill.pos.models import Session, SessionCount
from opentill.stores.models import Company

DATASETS = ("sessions", "orders", "payments", "taxes", "journal")
FORMATS = ("csv", "xlsx", "beancount")
CHUNK = 2000
Progress = Callable[[int], None]


class ExportError(ValueError):
    pass


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text, money, rate (a percent, 4 decimals), int, datetime, date, bool


@dataclass
class Dataset:
    """A query of one kind of record for a date range: its columns, its row count (for a
    progress bar) and its rows as an iterator."""

    name: str
    columns: list[Column]
    queryset: QuerySet[Any]
    places: int = MONEY_PLACES  # the decimals of the currency's amounts

    def count(self) -> int:
        return self.queryset.count()

    def rows(self) -> Iterator[tuple[Any, ...]]:
        return self.queryset.iterator(chunk_size=CHUNK)


# A range reaching the ends of the calendar means "everything": it is clamped to years a
# time zone and a database can represent (0001-01-01 or 9999-12-31 in local time overflow).
EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start:
        raise ExportError(f"the range ends ({end}) before it starts ({start})")
    start, end = max(start, EARLIEST), min(end, LATEST)
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def _money_subquery(qs: QuerySet[Any], field: str, by: str = "session") -> Coalesce:
    return Coalesce(
        Subquery(qs.values(by).annotate(s=Sum(field)).values("s"), output_field=MoneyField()),
        Value(0, output_field=MoneyField()),
        output_field=MoneyField(),
    )


def dataset(
    name: str, start: date, end: date, *, store_ids: Iterable[int] | None = None
) -> Dataset:
    """The records of ``name`` between ``start`` and ``end`` (inclusive), optionally only
    those of some stores (a manager's); amounts with the decimals of their currency."""
    stores = list(store_ids) if store_ids is not None else None
    data = _dataset(name, start, end, stores=stores)
    companies = Company.objects.all()
    if stores is not None:
        companies = companies.filter(stores__in=stores)
    currencies = set(companies.values_list("currency", flat=True))
    # One currency per export in practice; with several, the most decimals lose none.
    data.places = max((currency_places(c) for c in currencies), default=MONEY_PLACES)
    return data


def _dataset(name: str, start: date, end: date, *, stores: list[int] | None) -> Dataset:
    since, until = _bounds(start, end)
    if name == "sessions":
        # Training sessions are left out of every export (docs/fiscal.md, training mode).
        qs = Session.objects.filter(created_at__gte=since, created_at__lt=until, training=False)
        if stores is not None:
            qs = qs.filter(profile__store_id__in=stores)
        sold = Order.objects.filter(session=OuterRef("pk"), state__in=SOLD_STATES)
        closing = SessionCount.objects.filter(
            session=OuterRef("pk"), stage=SessionCount.Stage.CLOSING
        )
        qs = qs.annotate(
            order_count=Coalesce(
                Subquery(
                    sold.values("session").annotate(n=Count("id")).values("n"),
                    output_field=IntegerField(),
                ),
                0,
            ),
            sales=_money_subquery(sold, "total"),
            expected=_money_subquery(closing, "expected"),
            counted=_money_subquery(closing, "counted"),
            difference=_money_subquery(closing, "difference"),
            # Some closing amount was taken as expected (force or rescue close), not counted.
            not_counted=Exists(closing.filter(not_counted=True)),
        ).order_by("id")
        return Dataset(
            name,
            [
                Column("id", "int"),
                Column("name"),
                Column("store"),
                Column("profile"),
                Column("cashier"),
                Column("state"),
                Column("rescue", "bool"),
                Column("opened_at", "datetime"),
                Column("closed_at", "datetime"),
                Column("closed_by"),
                Column("orders", "int"),
                Column("sales_total", "money"),
                Column("expected", "money"),
                Column("counted", "money"),
                Column("difference", "money"),
                Column("not_counted", "bool"),
            ],
            qs.values_list(
                "id",
                "name",
                "profile__store__name",
                "profile__name",
                "user__username",
                "state",
                "rescue",
                "opened_at",
                "closed_at",
                "closed_by__username",
                "order_count",
                "sales",
                "expected",
                "counted",
                "difference",
                "not_counted",
            ),
        )
    if name == "orders":
        orders = Order.objects.filter(
            created_at__gte=since, created_at__lt=until, session__training=False
        )
        if stores is not None:
            orders = orders.filter(session__profile__store_id__in=stores)
        # What the customer handed over for the order and the change given back (cash).
        paid = Payment.objects.filter(order=OuterRef("pk"))
        orders = orders.annotate(
            tendered=_money_subquery(paid, "tendered", by="order"),
            change=_money_subquery(paid, "change", by="order"),
        )
        return Dataset(
            name,
            [
                Column("id", "int"),
                Column("uuid"),
                Column("number"),
                Column("created_at", "datetime"),
                Column("session"),
                Column("profile"),
                Column("cashier"),
                Column("customer"),
                Column("state"),
                Column("net_total", "money"),
                Column("tax_total", "money"),
                Column("total", "money"),
                Column("rounding", "money"),
                Column("amount_due", "money"),
                Column("invoice"),
                Column("void_reason"),
                Column("tendered", "money"),
                Column("change", "money"),
            ],
            orders.order_by("id").values_list(
                "id",
                "uuid",
                "number",
                "created_at",
                "session__name",
                "session__profile__name",
                "user__username",
                "customer__name",
                "state",
                "net_total",
                "tax_total",
                "total",
                "rounding",
                "amount_due",
                "invoice__number",
                "void_reason",
                "tendered",
                "change",
            ),
        )
    if name == "payments":
        payments = Payment.objects.filter(
            order__created_at__gte=since, order__created_at__lt=until, session__training=False
        )
        if stores is not None:
            payments = payments.filter(session__profile__store_id__in=stores)
        return Dataset(
            name,
            [
                Column("id", "int"),
                Column("order"),
                Column("created_at", "datetime"),
                Column("order_state"),
                Column("session"),
                Column("payment_method"),
                Column("kind"),
                Column("amount", "money"),
                Column("tendered", "money"),
                Column("change", "money"),
            ],
            payments.order_by("id").values_list(
                "id",
                "order__uuid",
                "order__created_at",
                "order__state",
                "session__name",
                "payment_method__name",
                "payment_method__kind",
                "amount",
                "tendered",
                "change",
            ),
        )
    if name == "taxes":
        # The VAT detail: every tax of every order line, sale and refund lines apart.
        taxes = OrderLineTax.objects.filter(
            order__created_at__gte=since,
            order__created_at__lt=until,
            order__session__training=False,
        )
        if stores is not None:
            taxes = taxes.filter(order__session__profile__store_id__in=stores)
        return Dataset(
            name,
            [
                Column("id", "int"),
                Column("order"),
                Column("created_at", "datetime"),
                Column("order_state"),
                Column("session"),
                Column("tax"),
                Column("kind"),
                Column("rate", "rate"),
                Column("refund", "bool"),
                Column("base", "money"),
                Column("amount", "money"),
                Column("account"),
            ],
            taxes.order_by("id").values_list(
                "id",
                "order__uuid",
                "order__created_at",
                "order__state",
                "order__session__name",
                "name",
                "kind",
                "rate",
                "refund",
                "base",
                "amount",
                "account__code",
            ),
        )
    if name == "journal":
        lines = JournalLine.objects.filter(entry__date__gte=start, entry__date__lte=end)
        if stores is not None:
            lines = lines.filter(
                Q(entry__session__profile__store_id__in=stores)
                | Q(entry__order__session__profile__store_id__in=stores)
            )
        return Dataset(
            name,
            [
                Column("entry", "int"),
                Column("date", "date"),
                Column("reference"),
                Column("kind"),
                Column("session"),
                Column("account"),
                Column("account_name"),
                Column("account_kind"),
                Column("label"),
                Column("debit", "money"),
                Column("credit", "money"),
            ],
            lines.order_by("entry_id", "id").values_list(
                "entry_id",
                "entry__date",
                "entry__reference",
                "entry__kind",
                "entry__session__name",
                "account__code",
                "account_name",
                "account__kind",
                "label",
                "debit",
                "credit",
            ),
        )
    raise ExportError(f"unknown export {name!r}; use one of: {', '.join(DATASETS)}")


# --- CSV --------------------------------------------------------------------------------------


def _text(value: Any, kind: str = "text", places: int = MONEY_PLACES) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return (fmt(value, RATE_PLACES) if kind == "rate" else fmt(value, places)) or ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return cell_text(value)
    return str(value)


def csv_chunks(data: Dataset, *, progress: Progress | None = None) -> Iterator[str]:
    """The CSV text in chunks of about ``CHUNK`` rows (for a streaming response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.title for c in data.columns])
    kinds = [c.kind for c in data.columns]
    done = 0
    for row in data.rows():
        writer.writerow([_text(v, k, data.places) for v, k in zip(row, kinds, strict=True)])
        done += 1
        if done % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if progress:
                progress(done)
    yield buffer.getvalue()
    if progress:
        progress(done)


def write_csv(data: Dataset, out: IO[str], *, progress: Progress | None = None) -> None:
    for chunk in csv_chunks(data, progress=progress):
        out.write(chunk)


# --- XLSX -------------------------------------------------------------------------------------


def _money_format(places: int) -> str:
    """The XLSX number format of amounts with ``places`` decimals: #,##0 / #,##0.00 / #,##0.000."""
    return "#,##0" + ("." + "0" * places if places else "")


_FORMATS = {
    "money": _money_format(MONEY_PLACES),
    "rate": "0.00##",
    "datetime": "yyyy-mm-dd hh:mm:ss",
    "date": "yyyy-mm-dd",
}


def write_xlsx(data: Dataset, out: IO[bytes] | str, *, progress: Progress | None = None) -> None:
    """An XLSX workbook with one sheet, written in openpyxl's write-only (streaming) mode.
    Money cells are exact decimal numbers shown with the currency's decimals; times are local."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(data.name)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for c in data.columns:
        cell = WriteOnlyCell(sheet, value=c.title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    kinds = [c.kind for c in data.columns]
    styled: dict[str, Any] = {}
    for kind, number_format in {**_FORMATS, "money": _money_format(data.places)}.items():
        probe = WriteOnlyCell(sheet, value=None)
        probe.number_format = number_format
        styled[kind] = probe._style
    done = 0
    for row in data.rows():
        cells: list[Any] = []
        for value, kind in zip(row, kinds, strict=True):
            if isinstance(value, datetime):
                value = timezone.localtime(value).replace(tzinfo=None)
            elif isinstance(value, UUID):
                value = str(value)
            elif isinstance(value, str):
                # Text as typed, but always a string cell: never a formula or an error code,
                # and storable in the file whatever it holds.
                cell = WriteOnlyCell(sheet, value=printable(value))
                cell.data_type = "s"
                cells.append(cell)
                continue
            if kind in styled and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell._style = styled[kind]
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        done += 1
        if progress and done % CHUNK == 0:
            progress(done)
    workbook.save(out)
    if progress:
        progress(done)


# --- beancount --------------------------------------------------------------------------------

_ROOTS: dict[str, str] = {
    LedgerAccount.Kind.ASSET: "Assets",
    LedgerAccount.Kind.LIABILITY: "Liabilities",
    LedgerAccount.Kind.EQUITY: "Equity",
    LedgerAccount.Kind.INCOME: "Income",
    LedgerAccount.Kind.EXPENSE: "Expenses",
}


def beancount_account(code: str, name: str, kind: str) -> str:
    """``("1000", "Cash in drawers", "asset")`` → ``Assets:1000-Cash-in-drawers``."""
    plain = unicodedata.normalize("NFKD", f"{code} {name}").encode("ascii", "ignore").decode()
    component = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-") or "Account"
    component = component[0].upper() + component[1:]
    if not component[0].isalnum():
        component = "A" + component
    return f"{_ROOTS.get(kind, 'Assets')}:{component}"


def _quoted(text: str) -> str:
    """A beancount string: one line, quotes and backslashes escaped, no control character."""
    text = printable(text).replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount_chunks(data: Dataset, *, progress: Progress | None = None) -> Iterator[str]:
    """The journal lines of ``data`` (the ``journal`` dataset) as a beancount ledger: the
    options, an ``open`` for every account used, then one balanced transaction per entry
    (debit positive, credit negative)."""
    if data.name != "journal":
        raise ExportError("the beancount format is for journal entries only")
    company = Company.objects.order_by("id").first()
    currency = company.currency if company else "EUR"
    title = company.name if company else "OpenTill"
    lines = data.queryset
    first = lines.order_by("entry__date").values_list("entry__date", flat=True).first()
    head = [
        f"; OpenTill journal entries, exported {timezone.localtime().isoformat(timespec='seconds')}",
        f"option {_quoted('title')} {_quoted(title)}",
        f"option {_quoted('operating_currency')} {_quoted(currency)}",
        "",
    ]
    accounts = (
        lines.order_by("account__code")
        .values_list("account__code", "account__name", "account__kind")
        .distinct()
    )
    # One beancount account per ledger account, named by its code (kept once posted on) and
    # its current label, so a renamed account's balance stays whole; the CSV and XLSX
    # exports show each line's label as posted.
    opened: dict[str, str] = {}
    for code, name, kind in accounts:
        opened[code] = beancount_account(code, name, kind)
        head.append(f"{first} open {opened[code]} {currency}")
    yield "\n".join(head) + "\n"

    buffer: list[str] = []
    current: int | None = None
    done = 0
    for (
        entry_id,
        day,
        reference,
        _kind,
        session,
        code,
        _name,
        _account_kind,
        label,
        debit,
        credit,
    ) in data.rows():
        if entry_id != current:
            current = entry_id
            buffer.append(f"\n{day.isoformat()} * {_quoted(reference)}")
            buffer.append(f"  entry: {_quoted(str(entry_id))}")
            if session:
                buffer.append(f"  session: {_quoted(session)}")
        account = opened[code]
        amount = fmt(debit - credit, data.places)
        comment = f"  ; {label}" if label else ""
        buffer.append(f"  {account}  {amount} {currency}{comment}")
        done += 1
        if done % CHUNK == 0:
            yield "\n".join(buffer) + "\n"
            buffer.clear()
            if progress:
                progress(done)
    yield "\n".join(buffer) + "\n"
    if progress:
        progress(done)


def write_export(
    data: Dataset, format: str, out: IO[Any] | str, *, progress: Progress | None = None
) -> None:
    """Write ``data`` as ``format`` to ``out`` (a text stream for csv/beancount, a binary
    stream or a path for xlsx)."""
    if format == "xlsx":
        write_xlsx(data, out, progress=progress)
        return
    chunks = (
        csv_chunks(data, progress=progress)
        if format == "csv"
        else beancount_chunks(data, progress=progress)
        if format == "beancount"
        else None
    )
    if chunks is None:
        raise ExportError(f"unknown format {format!r}; use one of: {', '.join(FORMATS)}")
    assert not isinstance(out, str)
    for chunk in chunks:
        out.write(chunk)


def export_filename(name: str, format: str, start: date, end: date) -> str:
    extension = {"csv": "csv", "xlsx": "xlsx", "beancount": "beancount"}[format]
    return f"opentill-{name}-{start.isoformat()}-{end.isoformat()}.{extension}"
