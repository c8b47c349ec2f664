"""The DSFinV-K files (Germany's "Digitale Schnittstelle der Finanzverwaltung für
Kassensysteme", version 2.x): the twenty tables of its three modules with their columns in
the format's order, the CSV text of a table and the ``index.xml`` (GDPdU) that describes
them. Pure: no Django; :mod:`opentill.fiscal.dsfinvk_export` fills the rows from a till's
journal (docs/fiscal.md says what is mapped).

Every file is written, with its header line, even when it has no rows (the format names them
all). CSV: UTF-8, ``;`` between columns, CR LF after each record, ``"`` around text that
needs it; numbers with ``,`` before the decimals and no grouping; times as the local
``YYYY-MM-DDThh:mm:ss``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.sax.saxutils import escape

#: The DFKA taxonomy version written in cashpointclosing.csv.
TAXONOMY_VERSION = "2.3"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text, number, time, bool
    places: int = 0  # a number's decimals
    max_length: int | None = None  # text


@dataclass(frozen=True)
class Table:
    name: str  # the format's name of the table (Bonpos)
    file: str  # its file (lines.csv)
    description: str
    columns: tuple[Column, ...]


def _t(name: str, max_length: int | None = None) -> Column:
    return Column(name, "text", max_length=max_length)


def _n(name: str, places: int = 0) -> Column:
    return Column(name, "number", places)


_Z = (_t("Z_KASSE_ID", 50), Column("Z_ERSTELLUNG", "time"), _n("Z_NR"))
_BON = (*_Z, _t("BON_ID", 40))

TABLES: tuple[Table, ...] = (
    # Einzelaufzeichnungsmodul (the transactions)
    Table(
        "Bonpos",
        "lines.csv",
        "Positions of the transactions",
        (
            *_BON,
            _t("POS_ZEILE", 50),
            _t("GUTSCHEIN_NR", 50),
            _t("ARTIKELTEXT", 255),
            _t("POS_TERMINAL_ID", 50),
            _t("GV_TYP", 30),
            _t("GV_NAME", 40),
            Column("INHAUS", "bool"),
            Column("P_STORNO", "bool"),
            _n("AGENTUR_ID"),
            _t("ART_NR", 50),
            _t("GTIN", 50),
            _t("WARENGR_ID", 40),
            _t("WARENGR", 50),
            _n("MENGE", 3),
            _n("FAKTOR", 3),
            _t("EINHEIT", 50),
            _n("STK_BR", 5),
        ),
    ),
    Table(
        "Bonpos_USt",
        "lines_vat.csv",
        "VAT of the positions",
        (
            *_BON,
            _t("POS_ZEILE", 50),
            _n("UST_SCHLUESSEL"),
            _n("POS_BRUTTO", 5),
            _n("POS_NETTO", 5),
            _n("POS_UST", 5),
        ),
    ),
    Table(
        "Bonpos_Preisfindung",
        "itemamounts.csv",
        "Price determination of the positions",
        (
            *_BON,
            _t("POS_ZEILE", 50),
            _t("TYP", 20),
            _n("UST_SCHLUESSEL"),
            _n("PF_BRUTTO", 5),
            _n("PF_NETTO", 5),
            _n("PF_UST", 5),
        ),
    ),
    Table(
        "Bonpos_Zusatzinfo",
        "subitems.csv",
        "Sub-items of the positions",
        (
            *_BON,
            _t("POS_ZEILE", 50),
            _t("ZI_ART_NR", 50),
            _t("ZI_GTIN", 50),
            _t("ZI_NAME", 50),
            _t("ZI_WARENGR_ID", 40),
            _t("ZI_WARENGR", 50),
            _n("ZI_MENGE", 3),
            _n("ZI_FAKTOR", 3),
            _t("ZI_EINHEIT", 50),
            _n("ZI_UST_SCHLUESSEL"),
            _n("ZI_BASISPREIS_BRUTTO", 5),
            _n("ZI_BASISPREIS_NETTO", 5),
            _n("ZI_BASISPREIS_UST", 5),
        ),
    ),
    Table(
        "Bonkopf",
        "transactions.csv",
        "Transactions (receipts)",
        (
            *_BON,
            _n("BON_NR"),
            _t("BON_TYP", 30),
            _t("BON_NAME", 60),
            _t("TERMINAL_ID", 50),
            Column("BON_STORNO", "bool"),
            Column("BON_START", "time"),
            Column("BON_ENDE", "time"),
            _t("BEDIENER_ID", 50),
            _t("BEDIENER_NAME", 50),
            _n("UMS_BRUTTO", 2),
            _t("KUNDE_NAME", 50),
            _t("KUNDE_ID", 50),
            _t("KUNDE_TYP", 50),
            _t("KUNDE_STRASSE", 60),
            _t("KUNDE_PLZ", 10),
            _t("KUNDE_ORT", 62),
            _t("KUNDE_LAND", 3),
            _t("KUNDE_USTID", 15),
            _t("BON_NOTIZ", 255),
        ),
    ),
    Table(
        "Bonkopf_USt",
        "transactions_vat.csv",
        "VAT of the transactions",
        (*_BON, _n("UST_SCHLUESSEL"), _n("BON_BRUTTO", 5), _n("BON_NETTO", 5), _n("BON_UST", 5)),
    ),
    Table(
        "Bonkopf_AbrKreis",
        "allocation_groups.csv",
        "Allocation groups (tables)",
        (*_BON, _t("ABRECHNUNGSKREIS", 50)),
    ),
    Table(
        "Bonkopf_Zahlarten",
        "datapayment.csv",
        "Payments of the transactions",
        (
            *_BON,
            _t("ZAHLART_TYP", 25),
            _t("ZAHLART_NAME", 60),
            _t("ZAHLWAEH_CODE", 3),
            _n("ZAHLWAEH_BETRAG", 2),
            _n("BASISWAEH_BETRAG", 2),
        ),
    ),
    Table(
        "Bon_Referenzen",
        "references.csv",
        "References between transactions",
        (
            *_BON,
            _t("POS_ZEILE", 50),
            _t("REF_TYP", 20),
            _t("REF_NAME", 40),
            Column("REF_DATUM", "time"),
            _t("REF_Z_KASSE_ID", 50),
            _n("REF_Z_NR"),
            _t("REF_BON_ID", 40),
        ),
    ),
    Table(
        "TSE_Transaktionen",
        "transactions_tse.csv",
        "TSE transactions",
        (
            *_BON,
            _n("TSE_ID"),
            _n("TSE_TANR"),
            _t("TSE_TA_START"),
            _t("TSE_TA_ENDE"),
            _t("TSE_TA_VORGANGSART", 30),
            _n("TSE_TA_SIGZ"),
            _t("TSE_TA_SIG", 512),
            _t("TSE_TA_FEHLER", 200),
            _t("TSE_VORGANGSDATEN"),
        ),
    ),
    # Stammdatenmodul (master data, per cash-point closing)
    Table(
        "Stamm_Abschluss",
        "cashpointclosing.csv",
        "Cash-point closings",
        (
            *_Z,
            _t("Z_BUCHUNGSTAG"),
            _t("TAXONOMIE_VERSION", 10),
            _t("Z_START_ID", 40),
            _t("Z_ENDE_ID", 40),
            _t("NAME", 60),
            _t("STRASSE", 60),
            _t("PLZ", 10),
            _t("ORT", 62),
            _t("LAND", 3),
            _t("STNR", 20),
            _t("USTID", 15),
            _n("Z_SE_ZAHLUNGEN", 2),
            _n("Z_SE_BARZAHLUNGEN", 2),
        ),
    ),
    Table(
        "Stamm_Orte",
        "location.csv",
        "Locations",
        (
            *_Z,
            _t("LOC_NAME", 60),
            _t("LOC_STRASSE", 60),
            _t("LOC_PLZ", 10),
            _t("LOC_ORT", 62),
            _t("LOC_LAND", 3),
            _t("LOC_USTID", 15),
        ),
    ),
    Table(
        "Stamm_Kassen",
        "cashregister.csv",
        "Cash registers",
        (
            *_Z,
            _t("KASSE_BRAND", 50),
            _t("KASSE_MODELL", 50),
            _t("KASSE_SERIENNR", 70),
            _t("KASSE_SW_BRAND", 50),
            _t("KASSE_SW_VERSION", 50),
            _t("KASSE_BASISWAEH_CODE", 3),
            Column("KEINE_UST_ZUORDNUNG", "bool"),
        ),
    ),
    Table(
        "Stamm_Terminals",
        "slaves.csv",
        "Terminals",
        (
            *_Z,
            _t("TERMINAL_ID", 50),
            _t("TERMINAL_BRAND", 50),
            _t("TERMINAL_MODELL", 50),
            _t("TERMINAL_SERIENNR", 70),
            _t("TERMINAL_SW_BRAND", 50),
            _t("TERMINAL_SW_VERSION", 50),
        ),
    ),
    Table(
        "Stamm_Agenturen",
        "pa.csv",
        "Agencies",
        (
            *_Z,
            _n("AGENTUR_ID"),
            _t("AGENTUR_NAME", 60),
            _t("AGENTUR_STRASSE", 60),
            _t("AGENTUR_PLZ", 10),
            _t("AGENTUR_ORT", 62),
            _t("AGENTUR_LAND", 3),
            _t("AGENTUR_STNR", 20),
            _t("AGENTUR_USTID", 15),
        ),
    ),
    Table(
        "Stamm_USt",
        "vat.csv",
        "VAT rates",
        (*_Z, _n("UST_SCHLUESSEL"), _n("UST_SATZ", 2), _t("UST_BESCHR", 55)),
    ),
    Table(
        "Stamm_TSE",
        "tse.csv",
        "Technical security systems (TSE)",
        (
            *_Z,
            _n("TSE_ID"),
            _t("TSE_SERIAL", 68),
            _t("TSE_SIG_ALGO", 30),
            _t("TSE_ZEITFORMAT", 31),
            _t("TSE_PD_ENCODING", 5),
            _t("TSE_PUBLIC_KEY", 512),
            _t("TSE_ZERTIFIKAT_I", 1000),
            _t("TSE_ZERTIFIKAT_II", 1000),
            _t("TSE_ZERTIFIKAT_III", 1000),
            _t("TSE_ZERTIFIKAT_IV", 1000),
            _t("TSE_ZERTIFIKAT_V", 1000),
            _t("TSE_ZERTIFIKAT_VI", 1000),
            _t("TSE_ZERTIFIKAT_VII", 1000),
        ),
    ),
    # Kassenabschlussmodul (the closings' totals)
    Table(
        "Z_GV_Typ",
        "businesscases.csv",
        "Totals per business case and VAT rate",
        (
            *_Z,
            _t("GV_TYP", 30),
            _t("GV_NAME", 40),
            _n("AGENTUR_ID"),
            _n("UST_SCHLUESSEL"),
            _n("Z_UMS_BRUTTO", 5),
            _n("Z_UMS_NETTO", 5),
            _n("Z_UST", 5),
        ),
    ),
    Table(
        "Z_Zahlart",
        "payment.csv",
        "Totals per payment type",
        (*_Z, _t("ZAHLART_TYP", 25), _t("ZAHLART_NAME", 60), _n("Z_ZAHLART_BETRAG", 2)),
    ),
    Table(
        "Z_Waehrungen",
        "cash_per_currency.csv",
        "Cash per currency",
        (*_Z, _t("ZAHLART_WAEH", 3), _n("ZAHLART_BETRAG_WAEH", 2)),
    ),
)
BY_NAME = {t.name: t for t in TABLES}

#: DSFinV-K's fixed VAT keys by rate; other rates get 1000, 1001… (the format's own range).
VAT_KEYS = {
    Decimal("19"): 1,
    Decimal("7"): 2,
    Decimal("10.7"): 3,
    Decimal("5.5"): 4,
    Decimal("0"): 5,
}


def number(value: Decimal | int, places: int) -> str:
    """``Decimal('-1234.5')``, 2 → ``"-1234,50"`` (no digit grouping)."""
    if isinstance(value, int):
        value = Decimal(value)
    exact = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    text = f"{exact:f}"
    return text.replace(".", ",")


def local_time(value: datetime, zone: tzinfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")


def _cell(column: Column, value: Any) -> str:
    if value is None or value == "":
        return ""
    if column.type == "number":
        return number(value, column.places)
    if column.type == "bool":
        return "1" if value else "0"
    text = str(value)
    if column.max_length is not None:
        text = text[: column.max_length]
    return text


def csv_text(table: Table, rows: list[dict[str, Any]]) -> str:
    """The table's file: its header, then a line per row (a row names its columns; a column
    it leaves out is empty; a column the table does not have is refused)."""
    names = [c.name for c in table.columns]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        unknown = set(row) - set(names)
        if unknown:
            raise ValueError(f"{table.name} has no column {sorted(unknown)}")
        writer.writerow([_cell(c, row.get(c.name)) for c in table.columns])
    return out.getvalue()


def _column_xml(column: Column) -> str:
    name = f"<Name>{escape(column.name)}</Name>"
    if column.type == "number":
        accuracy = f"<Accuracy>{column.places}</Accuracy>" if column.places else ""
        kind = f"<Numeric>{accuracy}</Numeric>" if accuracy else "<Numeric/>"
    elif column.type == "time":
        kind = '<Date><Format>YYYY-MM-DD"T"hh:mm:ss</Format></Date>'
    else:
        length = column.max_length or (1 if column.type == "bool" else None)
        kind = "<AlphaNumeric/>" + (f"<MaxLength>{length}</MaxLength>" if length else "")
    return f"        <VariableColumn>{name}{kind}</VariableColumn>"


def index_xml(*, supplier: str, location: str, comment: str) -> str:
    """The GDPdU description of the files (``index.xml``)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE DataSet SYSTEM "gdpdu-01-08-2002.dtd">',
        "<DataSet>",
        "  <Version>1.0</Version>",
        "  <DataSupplier>",
        f"    <Name>{escape(supplier)}</Name>",
        f"    <Location>{escape(location)}</Location>",
        f"    <Comment>{escape(comment)}</Comment>",
        "  </DataSupplier>",
        "  <Media>",
        "    <Name>DSFinV-K</Name>",
    ]
    for table in TABLES:
        lines += [
            "    <Table>",
            f"      <URL>{table.file}</URL>",
            f"      <Name>{table.name}</Name>",
            f"      <Description>{escape(table.description)}</Description>",
            "      <UTF8/>",
            "      <DecimalSymbol>,</DecimalSymbol>",
            "      <DigitGroupingSymbol>.</DigitGroupingSymbol>",
            "      <Range><From>2</From></Range>",
            "      <VariableLength>",
            "        <ColumnDelimiter>;</ColumnDelimiter>",
            "        <RecordDelimiter>&#13;&#10;</RecordDelimiter>",
            '        <TextEncapsulator>"</TextEncapsulator>',
            *[_column_xml(c) for c in table.columns],
            "      </VariableLength>",
            "    </Table>",
        ]
    lines += ["  </Media>", "</DataSet>", ""]
    return "\n".join(lines)
