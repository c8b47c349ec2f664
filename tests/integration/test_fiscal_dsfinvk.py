"""The DSFinV-K export (issue #13 item 6): every file of the format with its documented
columns in order, index.xml naming each file and its columns, one cash-point closing per Z,
the figures of the journal. The expected columns are written out here from the format's
documentation (DSFinV-K 2.x, chapters 3.1 to 3.3), not read from the code under test."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from opentill.cli import main
from opentill.fiscal import periods
from opentill.fiscal.dsfinvk import number
from opentill.fiscal.dsfinvk_export import dsfinvk_build
from opentill.fiscal.period_close import till_time_zone
from opentill.pos.models import PosProfile
from opentill.stores.models import Company
from tests.integration.fiscal_helpers import noon_zone
from tests.integration.test_fiscal_periods import two_sessions

Z = "Z_KASSE_ID Z_ERSTELLUNG Z_NR"
BON = f"{Z} BON_ID"
DOCUMENTED = {
    "lines.csv": f"{BON} POS_ZEILE GUTSCHEIN_NR ARTIKELTEXT POS_TERMINAL_ID GV_TYP GV_NAME "
    "INHAUS P_STORNO AGENTUR_ID ART_NR GTIN WARENGR_ID WARENGR MENGE FAKTOR EINHEIT STK_BR",
    "lines_vat.csv": f"{BON} POS_ZEILE UST_SCHLUESSEL POS_BRUTTO POS_NETTO POS_UST",
    "itemamounts.csv": f"{BON} POS_ZEILE TYP UST_SCHLUESSEL PF_BRUTTO PF_NETTO PF_UST",
    "subitems.csv": f"{BON} POS_ZEILE ZI_ART_NR ZI_GTIN ZI_NAME ZI_WARENGR_ID ZI_WARENGR "
    "ZI_MENGE ZI_FAKTOR ZI_EINHEIT ZI_UST_SCHLUESSEL ZI_BASISPREIS_BRUTTO "
    "ZI_BASISPREIS_NETTO ZI_BASISPREIS_UST",
    "transactions.csv": f"{BON} BON_NR BON_TYP BON_NAME TERMINAL_ID BON_STORNO BON_START "
    "BON_ENDE BEDIENER_ID BEDIENER_NAME UMS_BRUTTO KUNDE_NAME KUNDE_ID KUNDE_TYP "
    "KUNDE_STRASSE KUNDE_PLZ KUNDE_ORT KUNDE_LAND KUNDE_USTID BON_NOTIZ",
    "transactions_vat.csv": f"{BON} UST_SCHLUESSEL BON_BRUTTO BON_NETTO BON_UST",
    "allocation_groups.csv": f"{BON} ABRECHNUNGSKREIS",
    "datapayment.csv": f"{BON} ZAHLART_TYP ZAHLART_NAME ZAHLWAEH_CODE ZAHLWAEH_BETRAG "
    "BASISWAEH_BETRAG",
    "references.csv": f"{BON} POS_ZEILE REF_TYP REF_NAME REF_DATUM REF_Z_KASSE_ID REF_Z_NR "
    "REF_BON_ID",
    "transactions_tse.csv": f"{BON} TSE_ID TSE_TANR TSE_TA_START TSE_TA_ENDE "
    "TSE_TA_VORGANGSART TSE_TA_SIGZ TSE_TA_SIG TSE_TA_FEHLER TSE_VORGANGSDATEN",
    "cashpointclosing.csv": f"{Z} Z_BUCHUNGSTAG TAXONOMIE_VERSION Z_START_ID Z_ENDE_ID NAME "
    "STRASSE PLZ ORT LAND STNR USTID Z_SE_ZAHLUNGEN Z_SE_BARZAHLUNGEN",
    "location.csv": f"{Z} LOC_NAME LOC_STRASSE LOC_PLZ LOC_ORT LOC_LAND LOC_USTID",
    "cashregister.csv": f"{Z} KASSE_BRAND KASSE_MODELL KASSE_SERIENNR KASSE_SW_BRAND "
    "KASSE_SW_VERSION KASSE_BASISWAEH_CODE KEINE_UST_ZUORDNUNG",
    "slaves.csv": f"{Z} TERMINAL_ID TERMINAL_BRAND TERMINAL_MODELL TERMINAL_SERIENNR "
    "TERMINAL_SW_BRAND TERMINAL_SW_VERSION",
    "pa.csv": f"{Z} AGENTUR_ID AGENTUR_NAME AGENTUR_STRASSE AGENTUR_PLZ AGENTUR_ORT "
    "AGENTUR_LAND AGENTUR_STNR AGENTUR_USTID",
    "vat.csv": f"{Z} UST_SCHLUESSEL UST_SATZ UST_BESCHR",
    "tse.csv": f"{Z} TSE_ID TSE_SERIAL TSE_SIG_ALGO TSE_ZEITFORMAT TSE_PD_ENCODING "
    "TSE_PUBLIC_KEY TSE_ZERTIFIKAT_I TSE_ZERTIFIKAT_II TSE_ZERTIFIKAT_III TSE_ZERTIFIKAT_IV "
    "TSE_ZERTIFIKAT_V TSE_ZERTIFIKAT_VI TSE_ZERTIFIKAT_VII",
    "businesscases.csv": f"{Z} GV_TYP GV_NAME AGENTUR_ID UST_SCHLUESSEL Z_UMS_BRUTTO "
    "Z_UMS_NETTO Z_UST",
    "payment.csv": f"{Z} ZAHLART_TYP ZAHLART_NAME Z_ZAHLART_BETRAG",
    "cash_per_currency.csv": f"{Z} ZAHLART_WAEH ZAHLART_BETRAG_WAEH",
}


@pytest.fixture
def exported(shop: dict[str, Any], tmp_path: Path, settings: Any) -> dict[str, Any]:
    settings.OPENTILL_FISCAL_KEY = str(tmp_path / "fiscal_key.pem")
    Company.objects.update(time_zone=noon_zone())
    till = PosProfile.objects.select_related("store__company").get(code="TILL1")
    two_sessions(shop)
    month = periods.containing("month", datetime.now(UTC), till_time_zone(till))
    name, content = dsfinvk_build(profile=till, period=month)
    zf = zipfile.ZipFile(io.BytesIO(content))
    files = {n: zf.read(n).decode("utf-8") for n in zf.namelist()}
    return {"name": name, "files": files, "month": month, "content": content}


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"'))


def test_every_file_has_the_documented_columns_and_index_xml_names_them(exported):
    files = exported["files"]
    assert set(files) == set(DOCUMENTED) | {"index.xml"}
    for name, columns in DOCUMENTED.items():
        rows = table(files[name])
        assert rows[0] == columns.split(), name
        assert all(len(row) == len(rows[0]) for row in rows), name
        assert files[name].endswith("\r\n"), name
    root = ET.fromstring(files["index.xml"].split("\n", 2)[2])  # past the DOCTYPE
    assert root.findtext("Version") == "1.0"
    described = {}
    for t in root.iter("Table"):
        assert t.find("UTF8") is not None
        assert (t.findtext("DecimalSymbol"), t.findtext("DigitGroupingSymbol")) == (",", ".")
        assert t.findtext("Range/From") == "2"
        assert t.findtext("VariableLength/ColumnDelimiter") == ";"
        described[t.findtext("URL")] = [c.findtext("Name") for c in t.iter("VariableColumn")]
    assert described == {name: cols.split() for name, cols in DOCUMENTED.items()}
    amount = next(
        c
        for t in root.iter("Table")
        if t.findtext("URL") == "payment.csv"
        for c in t.iter("VariableColumn")
        if c.findtext("Name") == "Z_ZAHLART_BETRAG"
    )
    assert amount.findtext("Numeric/Accuracy") == "2"


def records(text: str) -> list[dict[str, str]]:
    header, *rows = table(text)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_one_cash_point_closing_per_z_with_the_journals_figures(exported):
    files = exported["files"]
    closings = records(files["cashpointclosing.csv"])
    assert [c["Z_NR"] for c in closings] == ["1", "2"]
    # Z1: 10.00 cash + 4.30 card − 2.20 cash back; Z2: 2.20 cash.
    assert [(c["Z_SE_ZAHLUNGEN"], c["Z_SE_BARZAHLUNGEN"]) for c in closings] == [
        ("12,10", "7,80"),
        ("2,20", "2,20"),
    ]
    assert all(c["TAXONOMIE_VERSION"] and c["Z_KASSE_ID"] == "TILL1" for c in closings)
    receipts = records(files["transactions.csv"])
    assert [(r["Z_NR"], r["BON_TYP"], r["UMS_BRUTTO"]) for r in receipts] == [
        ("1", "Beleg", "14,30"),
        ("1", "Beleg", "-2,20"),
        ("2", "Beleg", "2,20"),
    ]
    vat = {r["UST_SCHLUESSEL"]: (r["UST_SATZ"], r["UST_BESCHR"]) for r in records(files["vat.csv"])}
    # 21 % and 6 % are not German rates: keys of the format's own range from 1000.
    assert vat == {"1000": ("21,00", "VAT 21%"), "1001": ("6,00", "VAT 6%")}
    business = [r for r in records(files["businesscases.csv"]) if r["Z_NR"] == "1"]
    # Z1: a mug (9.90 at 21 %), two espressos sold and one refunded (2.20 at 6 %).
    assert [
        (r["GV_TYP"], r["UST_SCHLUESSEL"], r["Z_UMS_BRUTTO"], r["Z_UMS_NETTO"], r["Z_UST"])
        for r in business
    ] == [
        ("Umsatz", "1000", "9,90000", "8,18000", "1,72000"),
        ("Umsatz", "1001", "2,20000", "2,07000", "0,13000"),
    ]
    lines = records(files["lines.csv"])
    assert [(r["ARTIKELTEXT"], r["MENGE"], r["STK_BR"]) for r in lines] == [
        ("Espresso", "2,000", "2,20000"),
        ("White mug", "1,000", "9,90000"),
        ("Espresso", "-1,000", "2,20000"),
        ("Espresso", "1,000", "2,20000"),
    ]
    payments = [r for r in records(files["payment.csv"]) if r["Z_NR"] == "1"]
    assert [(r["ZAHLART_TYP"], r["ZAHLART_NAME"], r["Z_ZAHLART_BETRAG"]) for r in payments] == [
        ("Bar", "Cash", "7,80"),
        ("Unbar", "Card", "4,30"),
    ]
    assert records(files["tse.csv"]) == [] and records(files["transactions_tse.csv"]) == []


def test_numbers_use_a_decimal_comma():
    from decimal import Decimal

    assert number(Decimal("-1234.5"), 2) == "-1234,50"
    assert number(Decimal("0.125"), 2) == "0,13"
    assert number(3, 0) == "3"


def test_the_cli_writes_the_export(exported, tmp_path, capsys):
    out = tmp_path / "dsfinvk.zip"
    month = exported["month"].name
    assert main(["fiscal", "dsfinvk", "--till", "TILL1", "--period", month, "-o", str(out)]) == 0
    assert zipfile.ZipFile(out).namelist() == list(
        zipfile.ZipFile(io.BytesIO(exported["content"])).namelist()
    )
    assert main(["fiscal", "dsfinvk", "--till", "TILL1", "--period", "2026-13"]) == 2
    assert main(["fiscal", "dsfinvk", "--till", "NOPE", "--period", month]) == 2
