"""The verifier of the fiscal journal (issue #13) against what the database cannot prevent:
one changed byte in any field of any kind of record, a deleted, swapped, replayed or
foreign-key record, wrong grand totals under a valid signature; and the journal read by an
auditor with the public key alone. One journal is built for the module; each test's
tampering (raw SQL past the triggers, ``protection.maintenance``) is rolled back."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, transaction
from django.test import override_settings

from opentill.common import protection
from opentill.common.db import db_value
from opentill.fiscal import facts
from opentill.fiscal.keys import Signer
from opentill.fiscal.models import FiscalRecord
from opentill.fiscal.selectors import till_time_zone, till_verify
from opentill.fiscal.services import key_register, till_journal
from opentill.pos.models import PosProfile
from tests.conftest import api_for, shop_rows
from tests.integration.fiscal_helpers import build_journal, records, verify_till1

D = Decimal

# --- the verifier finds what the database cannot prevent ----------------------------------------


@pytest.fixture(scope="module")
def journal(module_db: None, tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    path = tmp_path_factory.mktemp("fiscal") / "fiscal_key.pem"
    with override_settings(OPENTILL_FISCAL_KEY=str(path)):
        sessions = build_journal(shop_rows(), path)
        yield {
            **sessions,
            "path": path,
            "first_of": {
                kind: FiscalRecord.objects.filter(profile__code="TILL1", kind=kind)
                .order_by("sequence")
                .values_list("pk", flat=True)
                .first()
                for kind in FiscalRecord.Kind.values
            },
        }


@pytest.fixture(autouse=True)
def _rolled_back_each(db: None) -> None:
    """Each test's tampering is rolled back at its end (the journal is built once)."""


def _sql(statement: str, params: list[Any]) -> None:
    """Raw SQL on the records' table (inside ``protection.maintenance()``)."""
    table = connection.ops.quote_name(FiscalRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{table}", table), params)


def lifted(statement: str, params: list[Any]) -> None:
    """Raw SQL past the triggers: the deliberate way, as a flush would."""
    with protection.maintenance():
        _sql(statement, params)


def _one_byte(text: str, at: int | None = None) -> str:
    """``text`` with one character changed (an empty text gets one)."""
    if not text:
        return "A"
    at = len(text) // 3 if at is None else at
    old = text[at]
    new = "1" if old != "1" else "2"
    if not old.isdigit():
        new = "B" if old != "B" else "C"
    return text[:at] + new + text[at + 1 :]


def tamper(pk: int, field: str, journal: dict[str, Any]) -> int:
    """Change ``field`` of record ``pk`` with raw SQL; returns its stored sequence after."""
    record = FiscalRecord.objects.get(pk=pk)
    if field == "sequence":
        _sql("UPDATE {table} SET sequence = %s WHERE id = %s", [record.sequence + 1000, pk])
        return record.sequence + 1000
    if field == "created_at":
        changed = record.created_at.replace(microsecond=(record.created_at.microsecond + 1) % 10**6)
        value = db_value(FiscalRecord, "created_at", changed)
        _sql("UPDATE {table} SET created_at = %s WHERE id = %s", [value, pk])
    elif field == "session":
        other = journal["s2"] if record.session_id != journal["s2"] else journal["s1"]
        _sql("UPDATE {table} SET session_id = %s WHERE id = %s", [other, pk])
    else:
        value = getattr(record, field)
        at = 10 if field == "signature" else None
        _sql(f"UPDATE {{table}} SET {field} = %s WHERE id = %s", [_one_byte(value, at), pk])
    return record.sequence


FIELDS = ("data", "previous", "signature", "key_id", "kind", "sequence", "created_at", "session")


# Kinds no code writes yet (issue #13 is landing in steps): their test is a strict xfail, so
# it fails as soon as ``build_journal`` writes such a record: remove the kind from here then.
UNWRITTEN: set[str] = set()


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            kind, marks=pytest.mark.xfail(strict=True, reason="no writer yet, see UNWRITTEN")
        )
        if kind in UNWRITTEN
        else kind
        for kind in FiscalRecord.Kind.values
    ],
)
def test_one_changed_byte_in_any_field_breaks_exactly_that_record(journal, kind):
    assert verify_till1().ok
    pk = journal["first_of"][kind]
    named = {}
    with protection.maintenance():
        for field in FIELDS:
            with transaction.atomic():
                tamper(pk, field, journal)
                broken = verify_till1().first_broken
                named[field] = (broken.sequence, broken.kind) if broken else None
                transaction.set_rollback(True)
    assert named == {field: (sequence_of(field, pk), kind) for field in FIELDS}


def sequence_of(field: str, pk: int) -> int:
    """The stored sequence of record ``pk`` once ``field`` was changed by :func:`tamper`."""
    sequence = FiscalRecord.objects.get(pk=pk).sequence
    return sequence + 1000 if field == "sequence" else sequence


def test_a_record_moved_to_another_till_breaks_both(journal):
    record = FiscalRecord.objects.get(pk=journal["first_of"]["ticket"])
    till2 = PosProfile.objects.get(code="TILL2")
    lifted("UPDATE {table} SET profile_id = %s WHERE id = %s", [till2.pk, record.pk])
    there = till_verify(profile=till2).first_broken
    assert there is not None and "till" in there.reason
    here = verify_till1().first_broken
    assert here is not None and here.sequence == 2  # the chain lost its first record


def test_a_deleted_record_is_found(journal):
    lifted("DELETE FROM {table} WHERE id = %s", [journal["first_of"]["rescue"]])  # record 5
    broken = verify_till1().first_broken
    assert broken is not None
    assert (broken.sequence, broken.kind) == (6, "ticket")
    assert "chain" in broken.reason


def test_records_taken_off_the_end_are_found(journal):
    last = records()[-1]
    lifted("DELETE FROM {table} WHERE id = %s", [last.pk])
    broken = verify_till1().first_broken
    assert broken is not None
    assert broken.sequence == last.sequence and "missing from its end" in broken.reason


def test_two_swapped_records_are_found(journal):
    a, b = records()[1], records()[2]
    lifted("UPDATE {table} SET sequence = %s WHERE id = %s", [1000, a.pk])
    lifted("UPDATE {table} SET sequence = %s WHERE id = %s", [a.sequence, b.pk])
    lifted("UPDATE {table} SET sequence = %s WHERE id = %s", [b.sequence, a.pk])
    broken = verify_till1().first_broken
    assert broken is not None
    assert (broken.sequence, broken.kind) == (3, "refund")  # signed as record 2, stored as 3


def test_a_replayed_record_is_found(journal):
    first, after = records()[0], records()[-1].sequence + 1
    fields = ("profile_id", "sequence", "kind", "created_at", "session_id", "data", "previous")
    table = connection.ops.quote_name(FiscalRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(fields)}, signature, key_id) "
            f"SELECT profile_id, %s, kind, created_at, session_id, data, previous, signature, "
            f"key_id FROM {table} WHERE id = %s",
            [after, first.pk],
        )
    broken = verify_till1().first_broken
    assert broken is not None
    assert (broken.sequence, broken.kind) == (after, "ticket")


def test_a_record_signed_with_another_key_is_found(journal):
    after = records()[-1].sequence + 1
    other = Signer.of(Ed25519PrivateKey.generate())
    key_register(other)
    till1 = PosProfile.objects.select_related("store__company").get(code="TILL1")
    with till_journal(till1, signer=other) as appending:
        appending.append(
            "force_close", None, facts.force_close(session_name="x", reason="x", by="x")
        )
    broken = verify_till1().first_broken
    assert broken is not None
    assert (broken.sequence, broken.kind) == (after, "force_close")
    assert f"no key rotation introduces {other.key_id}" in broken.reason


def test_a_z_signed_with_wrong_grand_totals_is_found(journal):
    """Even with the key: a Z must carry the totals its session's records give."""
    with override_settings(OPENTILL_FISCAL_KEY=str(journal["path"])):
        till1 = PosProfile.objects.select_related("store__company").get(code="TILL1")
        last_z = [r for r in records() if r.kind == "z"][-1]
        right = json.loads(last_z.data)
        wrong = json.loads(json.dumps(right["period"]))
        wrong["sales"]["total"] = "2.30"
        with till_journal(till1) as appending:
            appending.append(
                "z",
                journal["s2"],
                facts.z(
                    session_name="again",
                    rescue=False,
                    forced=False,
                    opened_at=None,
                    closed_at=last_z.created_at,
                    closed_by="x",
                    period=wrong,
                    perpetual=right["perpetual"],
                ),
            )
    broken = verify_till1().first_broken
    assert broken is not None
    assert (broken.sequence, broken.kind) == (records()[-1].sequence, "z")
    assert "period totals differ" in broken.reason


def test_a_range_of_days_verifies_with_what_came_before(journal):
    till = PosProfile.objects.get(code="TILL1")
    # The day of record 6 where the till is (its company's time zone decides its days).
    day = records()[5].created_at.astimezone(ZoneInfo(till_time_zone(till))).date()
    result = till_verify(profile=till, start=day, end=day)
    assert result.ok and result.records == len(records())
    lifted(
        "UPDATE {table} SET data = %s WHERE id = %s",
        [_one_byte(records()[4].data), records()[4].pk],
    )
    assert (
        till_verify(
            profile=PosProfile.objects.get(code="TILL1"), start=day, end=day
        ).first_broken.sequence
        == 5
    )  # type: ignore[union-attr]


def independent_verify(records_out: list[dict[str, Any]], public_keys: list[dict[str, Any]]) -> str:
    """Verify a till's records as an auditor would: the ``cryptography`` package and the
    rules of docs/fiscal.md, nothing of OpenTill. Returns "ok" or why not."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_public_key,
    )

    keys = {}
    for key in public_keys:
        public = load_pem_public_key(key["public_key"].encode())
        raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        assert hashlib.sha256(raw).hexdigest()[:16] == key["key_id"]
        keys[key["key_id"]] = public
    previous = ""
    for expected, record in enumerate(records_out, start=1):
        data = json.loads(record["data"])
        canonical_text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if canonical_text != record["data"]:
            return f"{expected}: not canonical"
        if record["sequence"] != expected or data["sequence"] != expected:
            return f"{expected}: sequence"
        if record["previous"] != previous:
            return f"{expected}: chain"
        message = record["data"].encode("utf-8") + b"\n" + record["previous"].encode("ascii")
        try:
            keys[record["key_id"]].verify(base64.b64decode(record["signature"]), message)
        except Exception:
            return f"{expected}: signature"
        previous = record["signature"]
    return "ok"


def test_an_auditor_verifies_with_the_public_key_alone(journal):
    manager = api_for("manager")
    till1 = PosProfile.objects.get(code="TILL1")
    out = manager.get(f"/profiles/{till1.pk}/fiscal/records")
    assert out.status_code == 200, out.content
    keys = manager.get("/fiscal/public-key").json()
    assert independent_verify(out.json(), keys) == "ok"
    tampered = [dict(r) for r in out.json()]
    tampered[3]["data"] = tampered[3]["data"].replace('"period"', '"period" ', 1)
    assert independent_verify(tampered, keys) == "4: not canonical"


def test_the_api_answers_managers_and_accountants(journal):
    till1 = PosProfile.objects.get(code="TILL1")
    manager, accountant, alice = api_for("manager"), api_for("accountant"), api_for("alice")
    verified = accountant.get(f"/profiles/{till1.pk}/fiscal/verify")
    assert verified.status_code == 200, verified.content
    total = len(records())
    assert verified.json() == {"ok": True, "records": total, "first_broken": None}
    listed = manager.get(f"/profiles/{till1.pk}/fiscal/records").json()
    assert [r["sequence"] for r in listed] == list(range(1, total + 1))
    assert set(listed[0]) == {
        "sequence",
        "kind",
        "number",
        "created_at",
        "data",
        "previous",
        "signature",
        "key_id",
    }
    assert listed[0]["created_at"] == json.loads(listed[0]["data"])["created_at"]
    keys = manager.get("/fiscal/public-key").json()
    assert [k["key_id"] for k in keys] == [listed[0]["key_id"], listed[-1]["key_id"]]
    assert keys[0]["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    for path in (
        f"/profiles/{till1.pk}/fiscal/verify",
        f"/profiles/{till1.pk}/fiscal/records",
        "/fiscal/public-key",
    ):
        refused = alice.get(path)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert manager.get("/profiles/999999/fiscal/verify").json()["code"] == "not_found"
    bad = manager.get(f"/profiles/{till1.pk}/fiscal/records", **{"from": "2026-13-01"})
    assert bad.status_code == 422
    backwards = manager.get(
        f"/profiles/{till1.pk}/fiscal/records", **{"from": "2026-11-02", "to": "2026-11-01"}
    )
    assert backwards.status_code == 422
    with protection.maintenance():
        broken = tamper(journal["first_of"]["void"], "data", journal)
    answer = manager.get(f"/profiles/{till1.pk}/fiscal/verify").json()
    assert answer["ok"] is False
    assert (answer["first_broken"]["sequence"], answer["first_broken"]["kind"]) == (broken, "void")
