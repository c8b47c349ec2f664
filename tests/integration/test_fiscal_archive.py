"""Signed archives of closed periods (issue #13 item 6): the ZIP of a month verifies on its
own with OpenTill's verifier, and with a script that knows only the ``cryptography`` package
and the standard library (written here, run in its own process, importing nothing of
OpenTill); one changed byte is found; making an archive is an ``archive`` record; the API
and the CLI serve it."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from opentill.cli import main
from opentill.common.problems import Problem
from opentill.fiscal import periods
from opentill.fiscal.archive import archive_build
from opentill.fiscal.archive_verify import archive_verify
from opentill.fiscal.period_close import period_closes_run, till_time_zone
from opentill.fiscal.selectors import public_keys_list
from opentill.pos.models import PosProfile
from opentill.stores.models import Company
from tests.conftest import api_for
from tests.integration.fiscal_helpers import noon_zone, records, verify_till1
from tests.integration.test_fiscal_periods import two_sessions

AUDITOR = r'''
"""An auditor's check of an OpenTill fiscal archive: cryptography and the standard library."""
import base64, hashlib, json, sys, zipfile
from decimal import Decimal
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

path, trusted = sys.argv[1], set(sys.argv[2].split(","))
zf = zipfile.ZipFile(path)
manifest_bytes = zf.read("manifest.json")
manifest = json.loads(manifest_bytes)
keys = {}
for k in json.loads(zf.read("keys.json")):
    public = load_pem_public_key(k["public_key"].encode())
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert hashlib.sha256(raw).hexdigest()[:16] == k["key_id"], "key id"
    keys[k["key_id"]] = public
assert manifest["key_id"] in trusted, "the manifest is signed with a key I was not given"
keys[manifest["key_id"]].verify(base64.b64decode(zf.read("manifest.sig")), manifest_bytes)
listed = {f["name"]: f["sha256"] for f in manifest["files"]}
assert set(zf.namelist()) == set(listed) | {"manifest.json", "manifest.sig"}, "files"
for name, digest in listed.items():
    assert hashlib.sha256(zf.read(name)).hexdigest() == digest, name
records = json.loads(zf.read("records.json"))
before = json.loads(zf.read("context.json"))["before"]
previous = before[0]["signature"] if before else ""
sequence = before[0]["sequence"] if before else 0
for r in records:
    data = json.loads(r["data"])
    assert json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == r["data"]
    sequence += 1
    assert r["sequence"] == data["sequence"] == sequence, "sequence"
    assert r["previous"] == previous, "chain"
    message = r["data"].encode("utf-8") + b"\n" + r["previous"].encode("ascii")
    keys[r["key_id"]].verify(base64.b64decode(r["signature"]), message)
    previous = r["signature"]
close = json.loads(records[-1]["data"])
assert close["kind"] == manifest["calendar"]["span"] + "_close"
assert records[-1]["signature"] == manifest["close"]["signature"]
start, end = close["calendar"]["start"], close["calendar"]["end"]
zs = {r["sequence"]: json.loads(r["data"]) for r in records if r["kind"] == "z"}
inside = sorted(s for s, z in zs.items() if start <= z["created_at"] < end)
assert close["zs"] == inside, "the close's Zs"
for field in ("net", "tax", "total"):
    for side in ("sales", "refunds", "real", "absolute"):
        summed = sum(Decimal(zs[s]["period"][side][field]) for s in inside)
        assert Decimal(close["period"][side][field]) == summed, (side, field)
print("ok", len(records), close["period"]["real"]["total"])
'''


@pytest.fixture
def key_file(tmp_path: Path, settings: Any) -> Path:
    settings.OPENTILL_FISCAL_KEY = str(tmp_path / "fiscal_key.pem")
    return tmp_path / "fiscal_key.pem"


@pytest.fixture
def month(shop: dict[str, Any], key_file: Path) -> tuple[PosProfile, periods.Period]:
    """TILL1 with two sessions this month, its day, month and year closed."""
    Company.objects.update(time_zone=noon_zone())
    till = PosProfile.objects.select_related("store__company").get(code="TILL1")
    two_sessions(shop)
    m = periods.containing("month", datetime.now(UTC), till_time_zone(till))
    assert period_closes_run(now=periods.containing("year", m.start, m.time_zone).end) == 3
    return till, m


def auditor(tmp_path: Path, archive: bytes, trusted: list[str]) -> subprocess.CompletedProcess:
    script, zipped = tmp_path / "auditor.py", tmp_path / "archive.zip"
    script.write_text(AUDITOR)
    zipped.write_bytes(archive)
    assert "opentill" not in AUDITOR.replace("an OpenTill", "")
    return subprocess.run(
        [sys.executable, "-I", str(script), str(zipped), ",".join(trusted)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_months_archive_verifies_with_cryptography_alone(month, tmp_path):
    till, m = month
    name, archive = archive_build(profile=till, period=m)
    assert name == f"opentill-fiscal-TILL1-{m.name}.zip"
    trusted = [k["key_id"] for k in public_keys_list()]
    checked = auditor(tmp_path, archive, trusted)
    assert checked.returncode == 0, checked.stderr
    # Records 1-9 (7 of the two sessions, the day and the month close): 14.30 sold.
    assert checked.stdout.split() == ["ok", "9", "14.30"]

    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        totals = json.loads(zf.read("totals.json"))
    z_names = sorted(n for n in names if n.startswith("reports/"))
    assert len(z_names) == 4 and all(n.endswith((".json", ".txt")) for n in z_names)
    assert {"records.json", "keys.json", "context.json", "totals.json", "audit.json"} <= names
    assert manifest["records"] == {"first": 1, "last": 9, "count": 9}
    assert manifest["archive_record"] == 11
    assert totals["close"]["period"]["real"]["total"] == "14.30"
    assert [z["sequence"] for z in totals["zs"]] == [4, 7]

    # The archive's making is record 11, naming the manifest's SHA-256.
    last = json.loads(records()[-1].data)
    assert (last["kind"], last["close"], last["records"]) == (
        "archive",
        9,
        {"first": 1, "last": 9},
    )
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert last["manifest_sha256"] == hashlib.sha256(zf.read("manifest.json")).hexdigest()
    assert verify_till1().ok
    assert archive_verify(io.BytesIO(archive)).ok

    # A key the auditor was not given is refused.
    assert auditor(tmp_path, archive, ["0" * 16]).returncode != 0


def _changed(archive: bytes, name: str, change: Any) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.namelist():
            content = src.read(item)
            dst.writestr(item, change(content) if item == name else content)
    return out.getvalue()


def test_one_changed_byte_anywhere_is_found(month, tmp_path):
    till, m = month
    _, archive = archive_build(profile=till, period=m)

    def one_byte(content: bytes) -> bytes:
        changed = content.replace(b"14.30", b"14.31", 1)
        return changed if changed != content else content.replace(b"1", b"2", 1)

    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        report = next(n for n in zf.namelist() if n.startswith("reports/") and n.endswith(".txt"))
    for name in ("records.json", "totals.json", "manifest.json", report):
        changed = _changed(archive, name, one_byte)
        assert changed != archive, name
        result = archive_verify(io.BytesIO(changed))
        assert not result.ok, name
        assert auditor(tmp_path, changed, [k["key_id"] for k in public_keys_list()]).returncode
    # A record re-signed by nobody: its file hash is put right in a forged manifest, whose
    # signature then fails.
    assert (
        "signature"
        in archive_verify(
            io.BytesIO(
                _changed(archive, "manifest.json", lambda c: c.replace(b'"format"', b'"format" '))
            )
        ).problems[0]
    )


def test_an_archive_of_a_period_not_closed_is_refused(shop, key_file):
    till = PosProfile.objects.select_related("store__company").get(code="TILL1")
    today = periods.containing("day", datetime.now(UTC), till_time_zone(till))
    with pytest.raises(Problem) as refused:
        archive_build(profile=till, period=today)
    assert refused.value.code == "period_open"


def test_the_api_and_the_cli_write_archives(month, tmp_path, capsys):
    till, m = month
    manager, alice = api_for("manager"), api_for("alice")
    url = f"/profiles/{till.pk}/fiscal/archive"
    answer = manager.get(url, period=m.name)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/zip"
    assert f'filename="opentill-fiscal-TILL1-{m.name}.zip"' in answer["Content-Disposition"]
    assert archive_verify(io.BytesIO(answer.content)).ok
    refused = alice.get(url, period=m.name)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    bad = manager.get(url, period="2026-13")
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_error")

    out = tmp_path / "month.zip"
    assert main(["fiscal", "archive", "--till", "TILL1", "--period", m.name, "-o", str(out)]) == 0
    assert main(["fiscal", "verify-archive", str(out)]) == 0
    assert "record(s) and every file verified" in capsys.readouterr().out
    out.write_bytes(_changed(out.read_bytes(), "audit.json", lambda c: c + b" "))
    assert main(["fiscal", "verify-archive", str(out)]) == 1
    assert "audit.json does not match its SHA-256" in capsys.readouterr().out
    assert [r.kind for r in records()][-2:] == ["archive", "archive"]
    assert verify_till1().ok


def test_the_back_office_lists_the_closes_with_their_archive_links(month):
    from django.contrib.auth.models import User
    from django.test import Client

    till, m = month
    client = Client()
    client.force_login(User.objects.get(username="manager"))
    page = client.get("/admin/reports/fiscal-archives/")
    assert page.status_code == 200
    link = f"/api/v1/profiles/{till.pk}/fiscal/archive?period={m.name}"
    assert link in page.content.decode()
    assert "Fiscal archives" in client.get("/admin/").content.decode()
    downloaded = client.get(link)
    assert downloaded.status_code == 200 and downloaded["Content-Type"] == "application/zip"
    assert archive_verify(io.BytesIO(downloaded.content)).ok
    cashier = Client()
    cashier.force_login(User.objects.get(username="alice"))
    assert cashier.get("/admin/reports/fiscal-archives/").status_code in (302, 403)
