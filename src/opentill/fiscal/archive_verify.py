"""The verifier of a fiscal archive, on its own (no database): the manifest's signature, the
SHA-256 of every file, and the records — signatures, chain, sequence, Z and period-close
totals — with :func:`opentill.fiscal.verify.verify`. Pure: no Django."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature

from opentill.fiscal import canonical, verify

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"


@dataclass
class ArchiveResult:
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    records: int = 0
    key_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _row(r: dict[str, Any]) -> verify.Row:
    return verify.Row(
        sequence=r["sequence"],
        kind=r["kind"],
        created_at=r["created_at"],
        session_id=r["session"],
        data=r["data"],
        previous=r["previous"],
        signature=r["signature"],
        key_id=r["key_id"],
    )


def archive_verify(source: str | Path | IO[bytes]) -> ArchiveResult:
    """Verify an archive file; every problem found, the first ones first."""
    result = ArchiveResult()
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        result.problems.append(f"not a ZIP archive: {exc}")
        return result
    with zf:
        names = set(zf.namelist())
        if MANIFEST not in names or SIGNATURE not in names:
            result.problems.append(f"{MANIFEST} or {SIGNATURE} is missing")
            return result
        manifest_bytes = zf.read(MANIFEST)
        try:
            manifest = json.loads(manifest_bytes)
            keys_list = json.loads(zf.read("keys.json"))
        except (ValueError, KeyError) as exc:
            result.problems.append(f"the manifest or keys.json cannot be read: {exc}")
            return result
        result.manifest = manifest
        keys = verify.public_keys((k["key_id"], k["public_key"]) for k in keys_list)
        result.key_ids = sorted(keys)
        key = keys.get(manifest.get("key_id", ""))
        if key is None:
            result.problems.append(
                f"the manifest's key {manifest.get('key_id')!r} is not in keys.json"
            )
            return result
        try:
            key.verify(base64.b64decode(zf.read(SIGNATURE).strip(), validate=True), manifest_bytes)
        except (InvalidSignature, ValueError):
            result.problems.append("the manifest's signature does not verify")
            return result
        listed = {f["name"]: f for f in manifest["files"]}
        for name in sorted(names - {MANIFEST, SIGNATURE} - set(listed)):
            result.problems.append(f"{name} is not in the manifest")
        for name, entry in sorted(listed.items()):
            if name not in names:
                result.problems.append(f"{name} is missing")
                continue
            content = zf.read(name)
            if hashlib.sha256(content).hexdigest() != entry["sha256"]:
                result.problems.append(f"{name} does not match its SHA-256 in the manifest")
        if result.problems:
            return result
        records = [_row(r) for r in json.loads(zf.read("records.json"))]
        context_data = json.loads(zf.read("context.json"))
    result.records = len(records)
    before = [_row(r) for r in context_data["before"]]
    last_z = [json.loads(r["data"])["perpetual"] for r in context_data["last_z"]]
    context = verify.Context(
        before=before[0] if before else None,
        before_key=before[0].key_id if before else None,
        last_z=last_z[0] if last_z else None,
        earlier_sales=[_row(r) for r in context_data["earlier_sales"]],
        earlier_closing=[_row(r) for r in context_data["earlier_closing"]],
    )
    walked = verify.verify(records, keys, till_id=manifest["till"], context=context)
    if walked.first_broken is not None:
        b = walked.first_broken
        result.problems.append(f"record {b.sequence} ({b.kind}): {b.reason}")
        return result
    span = manifest["records"]
    if [r.sequence for r in records][:1] != [span["first"]] or records[-1].sequence != span["last"]:
        result.problems.append("the records are not those the manifest names")
    close = records[-1]
    data = canonical.loads(close.data)
    if (close.sequence, close.signature) != (
        manifest["close"]["sequence"],
        manifest["close"]["signature"],
    ) or data.get("calendar") != manifest["calendar"]:
        result.problems.append("the last record is not the close of the archived period")
    return result
