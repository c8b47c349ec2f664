"""The fiscal journal's technical records (issue #13 item 2), each written in the transaction
of its event: a manager's approval of a difference, a change of prices, taxes or fiscal
settings (in every till of the company that keeps a journal), the software version at
migrate. Real keys and signatures (a key file per test)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from opentill.catalog.models import FiscalPosition, FiscalPositionTax, Product, Tax
from opentill.fiscal import canonical
from opentill.fiscal.events import version_record
from opentill.fiscal.models import FiscalRecord
from opentill.fiscal.selectors import till_verify
from opentill.pos.models import PosProfile
from opentill.stores.models import Company
from tests.conftest import order
from tests.integration.closing_helpers import count, start_till1
from tests.integration.fiscal_helpers import approval_token, records, verify_till1
from tests.integration.helpers import open_session, sync

D = Decimal


@pytest.fixture
def key_file(tmp_path: Path, settings: Any) -> Path:
    settings.OPENTILL_FISCAL_KEY = str(tmp_path / "fiscal_key.pem")
    return tmp_path / "fiscal_key.pem"


@pytest.fixture
def journaled(api_as, shop, key_file) -> dict[str, Any]:
    """Till 1 and Till 2 each with a ticket in their journal; Till 1's session open."""
    alice = api_as("alice")
    s1 = start_till1(alice, shop)["id"]
    sync(alice, s1, order([(shop["mug"].pk, "1")], [(shop["cash1"].pk, "9.90")]))
    bob = api_as("bob")
    s2 = open_session(bob, shop["till2"].pk, [])["id"]
    cash2 = PosProfile.objects.get(code="TILL2").payment_methods.get(name="Cash")
    sync(bob, s2, order([(shop["espresso"].pk, "1")], [(cash2.pk, "2.20")]))
    return {"alice": alice, "s1": s1, "s2": s2}


def settings_records(code: str) -> list[dict[str, Any]]:
    return [canonical.loads(r.data) for r in records(code) if r.kind == "settings"]


def test_a_price_change_is_recorded_in_every_till_of_the_company(journaled, shop):
    mug = Product.objects.get(pk=shop["mug"].pk)
    mug.price = D("10.50")
    mug.save()
    for code in ("TILL1", "TILL2"):
        (data,) = settings_records(code)
        assert data["change"] == "product_price"
        assert data["subject"] == f"product {mug.sku} {mug.name}"
        assert data["changes"] == {"price": {"from": "9.90", "to": "10.50"}}
        assert data["session"] is None
    assert verify_till1().ok
    # Saved again unchanged: nothing to record.
    mug.save()
    assert len(settings_records("TILL1")) == 1


def test_a_tax_rate_change_and_company_conventions_are_recorded(journaled):
    tax = Tax.objects.get(name="VAT 6%")
    tax.rate = D("5.5")
    tax.save()
    company = Company.objects.get(pk=tax.company_id)
    company.cash_rounding = D("0.05")
    company.save()
    changes = [(d["change"], d["changes"]) for d in settings_records("TILL1")]
    assert changes == [
        ("tax", {"rate": {"from": "6.0000", "to": "5.5000"}}),
        ("company_conventions", {"cash_rounding": {"from": "0.01", "to": "0.05"}}),
    ]


def test_a_change_rolled_back_leaves_no_record(journaled):
    before = len(records())
    with pytest.raises(RuntimeError), transaction.atomic():
        tax = Tax.objects.get(name="VAT 21%")
        tax.rate = D("20")
        tax.save()
        assert len(records()) == before + 1
        raise RuntimeError("the change fails after its save")
    assert len(records()) == before


def test_fiscal_position_mappings_and_product_taxes_are_recorded(journaled, shop):
    company_id = Tax.objects.get(name="VAT 21%").company_id
    position = FiscalPosition.objects.create(company_id=company_id, name="Export")
    assert settings_records("TILL1") == []  # a new position maps nothing yet
    mapping = FiscalPositionTax.objects.create(
        position=position,
        tax_src=Tax.objects.get(name="VAT 21%"),
        tax_dest=Tax.objects.get(name="VAT 6%"),
    )
    mapping.delete()
    mug = Product.objects.get(pk=shop["mug"].pk)
    mug.taxes.add(Tax.objects.get(name="VAT 12%"))
    recorded = settings_records("TILL1")
    assert [d["change"] for d in recorded] == [
        "fiscal_position",
        "fiscal_position",
        "product_taxes",
    ]
    v21, v6, v12 = (Tax.objects.get(name=n).pk for n in ("VAT 21%", "VAT 6%", "VAT 12%"))
    assert recorded[0]["changes"] == {
        "tax_dest_id": {"from": None, "to": v6},
        "tax_src_id": {"from": None, "to": v21},
    }
    assert recorded[1]["changes"]["tax_src_id"] == {"from": v21, "to": None}
    assert recorded[2]["changes"]["taxes"]["added"] == [str(v12)]
    assert verify_till1().ok


def test_a_change_in_the_back_office_is_recorded(journaled, shop, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", "", "root-pass-1"))
    tax = Tax.objects.get(name="VAT 12%")
    page = client.get(f"/admin/catalog/tax/{tax.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            name: (field.prepare_value(form.initial.get(name)) if name in form.initial else "")
            for name, field in form.fields.items()
        }
    )
    data["rate"] = "13.0000"
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    saved = client.post(f"/admin/catalog/tax/{tax.pk}/change/", data)
    assert saved.status_code == 302, saved.content[:2000]
    (recorded,) = settings_records("TILL1")
    assert recorded["changes"] == {"rate": {"from": "12.0000", "to": "13.0000"}}


def test_an_approved_closing_difference_is_an_approval_record(journaled, shop):
    alice, s1 = journaled["alice"], journaled["s1"]
    token = approval_token(alice, "closing_difference", s1)
    closed = alice.client.post(  # 19.90 short: beyond the maximum of 5.00
        f"/api/v1/sessions/{s1}/close",
        json.dumps({"counts": [count(shop["cash1"], "90.00")]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {alice.token}",
        HTTP_X_OPENTILL_APPROVAL=token,
    )
    assert closed.status_code == 200, closed.content
    kinds = [r.kind for r in records()]
    assert kinds[-2:] == ["approval", "z"]
    data = canonical.loads(records()[-2].data)
    assert (data["action"], data["approver"], data["session"]) == (
        "closing_difference",
        "manager",
        s1,
    )
    assert "exceeds the maximum" in data["why"]
    assert verify_till1().ok


def test_the_version_is_recorded_once_per_till_and_version(journaled):
    assert version_record(version="9.9.0") == 2  # both tills keep a journal
    assert version_record(version="9.9.0") == 0
    assert version_record(version="9.9.1") == 2
    versions = [canonical.loads(r.data) for r in records() if r.kind == "version"]
    assert [(v["version"], v["previous"]) for v in versions] == [
        ("9.9.0", None),
        ("9.9.1", "9.9.0"),
    ]
    assert till_verify(profile=PosProfile.objects.get(code="TILL2")).ok


def test_migrate_records_the_running_version(journaled):
    from django.core.management import call_command

    from opentill import __version__

    call_command("migrate", verbosity=0)
    (data,) = [canonical.loads(r.data) for r in records() if r.kind == "version"]
    assert data["version"] == __version__
    call_command("migrate", verbosity=0)
    assert len([r for r in records() if r.kind == "version"]) == 1
    assert FiscalRecord.objects.filter(kind="version").count() == 2  # TILL1 and TILL2
