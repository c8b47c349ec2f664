"""The DSFinV-K export of a till (docs/fiscal.md, "DSFinV-K"): one cash-point closing per Z
of the period, its transactions read from the journal's ticket and refund records (totals,
VAT, payments) and their positions from the orders' lines, written as the format's files
(:mod:`opentill.fiscal.dsfinvk`) in a ZIP with ``index.xml``."""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from decimal import Decimal
from typing import Any

from opentill import __version__
from opentill.fiscal import canonical, dsfinvk, periods
from opentill.fiscal.models import FiscalRecord
from opentill.fiscal.totals import SALE_KINDS
from opentill.orders.models import OrderLine, OrderLineTax
from opentill.pos.models import PaymentMethod, PosProfile

_PAYMENT_TYPES = {
    PaymentMethod.Kind.CASH: "Bar",
    PaymentMethod.Kind.CARD: "Unbar",
    PaymentMethod.Kind.OTHER: "Unbar",
}


class _VatKeys:
    """DSFinV-K's VAT key of each rate: the format's own for 19, 7, 10.7, 5.5 and 0 %,
    1000, 1001… for any other (in the order met)."""

    def __init__(self) -> None:
        self.keys: dict[Decimal, int] = {}
        self.names: dict[int, str] = {}

    def of(self, rate: Decimal, name: str) -> int:
        rate = rate.normalize() if rate else Decimal(0)
        if rate not in self.keys:
            own = dsfinvk.VAT_KEYS.get(rate)
            self.keys[rate] = (
                own if own is not None else 1000 + sum(1 for k in self.keys.values() if k >= 1000)
            )
            self.names[self.keys[rate]] = name
        return self.keys[rate]


def dsfinvk_build(*, profile: PosProfile, period: periods.Period) -> tuple[str, bytes]:
    """The ZIP (name, bytes) of the till's cash-point closings whose Z is dated in
    ``period``."""
    zone = periods.zone(period.time_zone)
    company, store = profile.store.company, profile.store
    methods = {m.pk: m for m in PaymentMethod.objects.filter(profile=profile)}
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    vat = _VatKeys()
    z_all = list(
        FiscalRecord.objects.filter(profile=profile, kind=FiscalRecord.Kind.Z)
        .order_by("sequence")
        .values_list("sequence", "session_id", "data")
    )
    for z_nr, (_, session_id, z_text) in enumerate(z_all, start=1):
        z = canonical.loads(z_text)
        created = canonical.parse_time(z["created_at"])
        if not period.holds(created):
            continue
        head = {
            "Z_KASSE_ID": profile.code,
            "Z_ERSTELLUNG": dsfinvk.local_time(created, zone),
            "Z_NR": z_nr,
        }
        sales = [
            (kind, canonical.loads(text))
            for kind, text in FiscalRecord.objects.filter(
                profile=profile, session_id=session_id, kind__in=SALE_KINDS
            )
            .order_by("sequence")
            .values_list("kind", "data")
        ]
        # Plain values, not model instances: a month of a busy till has many lines.
        lines: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        line_ids = []
        for line in (
            OrderLine.objects.filter(order__uuid__in=[d["order"] for _, d in sales])
            .order_by("id")
            .values_list("id", "order__uuid", "product_id", "product__name", "quantity", "total")
        ):
            lines[str(line[1])].append(line)
            line_ids.append(line[0])
        line_taxes: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for tax_row in (
            OrderLineTax.objects.filter(line_id__in=line_ids)
            .order_by("id")
            .values_list("line_id", "name", "rate", "base", "amount")
        ):
            line_taxes[tax_row[0]].append(tax_row)
        paid_total = cash_total = Decimal(0)
        per_method: dict[int, Decimal] = defaultdict(Decimal)
        for _, data in sales:
            bon = {**head, "BON_ID": data["order"]}
            number = data.get("number")
            at = dsfinvk.local_time(canonical.parse_time(data["ordered_at"]), zone)
            rows["Bonkopf"].append(
                {
                    **bon,
                    "BON_NR": number if isinstance(number, int) else None,
                    "BON_TYP": "Beleg",
                    "TERMINAL_ID": profile.code,
                    "BON_STORNO": False,
                    "BON_START": at,
                    "BON_ENDE": at,
                    "BEDIENER_NAME": z.get("closed_by", ""),
                    "UMS_BRUTTO": Decimal(data["total"]),
                }
            )
            for tax in data["taxes"]:
                key = vat.of(Decimal(tax["rate"]), tax["name"])
                base = Decimal(tax["sales"]["base"]) + Decimal(tax["refunds"]["base"])
                amount = Decimal(tax["sales"]["tax"]) + Decimal(tax["refunds"]["tax"])
                rows["Bonkopf_USt"].append(
                    {
                        **bon,
                        "UST_SCHLUESSEL": key,
                        "BON_BRUTTO": base + amount,
                        "BON_NETTO": base,
                        "BON_UST": amount,
                    }
                )
            for payment in data["payments"]:
                method = methods.get(payment["method_id"])
                kind = method.kind if method is not None else PaymentMethod.Kind.OTHER
                paid = Decimal(payment["amount"])
                paid_total += paid
                per_method[payment["method_id"]] += paid
                if kind == PaymentMethod.Kind.CASH:
                    cash_total += paid
                rows["Bonkopf_Zahlarten"].append(
                    {
                        **bon,
                        "ZAHLART_TYP": _PAYMENT_TYPES[PaymentMethod.Kind(kind)],
                        "ZAHLART_NAME": payment["method"],
                        "BASISWAEH_BETRAG": paid,
                    }
                )
            for position, (line_id, _, product_id, product_name, quantity, total) in enumerate(
                lines[data["order"]], start=1
            ):
                pos = {**bon, "POS_ZEILE": str(position)}
                rows["Bonpos"].append(
                    {
                        **pos,
                        "ARTIKELTEXT": product_name,
                        "POS_TERMINAL_ID": profile.code,
                        "GV_TYP": "Umsatz",
                        "P_STORNO": False,
                        "ART_NR": str(product_id),
                        "MENGE": quantity,
                        "STK_BR": total / quantity if quantity else total,
                    }
                )
                for _, tax_name, tax_rate, tax_base, tax_amount in line_taxes[line_id]:
                    rows["Bonpos_USt"].append(
                        {
                            **pos,
                            "UST_SCHLUESSEL": vat.of(tax_rate, tax_name),
                            "POS_BRUTTO": tax_base + tax_amount,
                            "POS_NETTO": tax_base,
                            "POS_UST": tax_amount,
                        }
                    )
        bon_ids = [d["order"] for _, d in sales]
        rows["Stamm_Abschluss"].append(
            {
                **head,
                "TAXONOMIE_VERSION": dsfinvk.TAXONOMY_VERSION,
                "Z_START_ID": bon_ids[0] if bon_ids else "",
                "Z_ENDE_ID": bon_ids[-1] if bon_ids else "",
                "NAME": company.name,
                "STRASSE": store.address.replace("\n", ", "),
                "Z_SE_ZAHLUNGEN": paid_total,
                "Z_SE_BARZAHLUNGEN": cash_total,
            }
        )
        rows["Stamm_Orte"].append(
            {**head, "LOC_NAME": store.name, "LOC_STRASSE": store.address.replace("\n", ", ")}
        )
        rows["Stamm_Kassen"].append(
            {
                **head,
                "KASSE_BRAND": "OpenTill",
                "KASSE_MODELL": "OpenTill web terminal",
                "KASSE_SERIENNR": profile.code,
                "KASSE_SW_BRAND": "OpenTill",
                "KASSE_SW_VERSION": __version__,
                "KASSE_BASISWAEH_CODE": company.currency,
                "KEINE_UST_ZUORDNUNG": False,
            }
        )
        for tax in z["period"]["taxes"]:
            key = vat.of(Decimal(tax["rate"]), tax["name"])
            rows["Z_GV_Typ"].append(
                {
                    **head,
                    "GV_TYP": "Umsatz",
                    "UST_SCHLUESSEL": key,
                    "Z_UMS_BRUTTO": Decimal(tax["real"]["base"]) + Decimal(tax["real"]["tax"]),
                    "Z_UMS_NETTO": Decimal(tax["real"]["base"]),
                    "Z_UST": Decimal(tax["real"]["tax"]),
                }
            )
        for method_id, paid in sorted(per_method.items()):
            method = methods.get(method_id)
            kind = method.kind if method is not None else PaymentMethod.Kind.OTHER
            rows["Z_Zahlart"].append(
                {
                    **head,
                    "ZAHLART_TYP": _PAYMENT_TYPES[PaymentMethod.Kind(kind)],
                    "ZAHLART_NAME": method.name if method is not None else str(method_id),
                    "Z_ZAHLART_BETRAG": paid,
                }
            )
        rows["Z_Waehrungen"].append(
            {**head, "ZAHLART_WAEH": company.currency, "ZAHLART_BETRAG_WAEH": cash_total}
        )
        for rate, key in sorted(vat.keys.items(), key=lambda item: item[1]):
            rows["Stamm_USt"].append(
                {**head, "UST_SCHLUESSEL": key, "UST_SATZ": rate, "UST_BESCHR": vat.names[key]}
            )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for table in dsfinvk.TABLES:
            zf.writestr(table.file, dsfinvk.csv_text(table, rows.get(table.name, [])))
        zf.writestr(
            "index.xml",
            dsfinvk.index_xml(
                supplier=company.name,
                location=store.address.replace("\n", ", ") or store.name,
                comment=f"OpenTill {__version__}: till {profile.code}, {period.name}",
            ),
        )
    return f"opentill-dsfinvk-{profile.code}-{period.name}.zip", out.getvalue()
