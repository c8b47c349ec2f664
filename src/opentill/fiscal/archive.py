"""Signed archives of a till's closed periods (docs/fiscal.md, "Archives"): one ZIP holding
the period's records (canonical data and signatures) with what a verifier needs from before
them, the Z reports, the grand totals, the event log, the public keys, and a manifest with
the SHA-256 of every file, signed with Ed25519. Making an archive is itself a record of the
till's journal (``archive``), naming the manifest's hash.

The Z reports are rendered by the reports context, which sits above this one: it registers
its part with :func:`part_register` from its ``AppConfig.ready``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opentill.audit.models import AuditEvent
from opentill.common.problems import Problem
from opentill.fiscal import canonical, keys, periods
from opentill.fiscal.archive_verify import MANIFEST, SIGNATURE
from opentill.fiscal.models import FiscalKey, FiscalRecord
from opentill.fiscal.period_close import closed_record
from opentill.fiscal.services import till_journal
from opentill.pos.models import PosProfile

#: The version of the archive's layout, in its manifest as ``"format"``.
FORMAT = 1
_FIELDS = ("sequence", "kind", "created_at", "session_id", "data", "previous", "signature")

#: Parts other contexts add: (the till, the ids of the sessions whose Z is archived) →
#: {file name: content}.
Part = Callable[[PosProfile, Sequence[int]], dict[str, bytes]]
PARTS: list[Part] = []


def part_register(part: Part) -> None:
    if part not in PARTS:
        PARTS.append(part)


def _record_out(values: tuple[Any, ...], key_id: str) -> dict[str, Any]:
    sequence, kind, created_at, session_id, data, previous, signature = values
    return {
        "sequence": sequence,
        "kind": kind,
        "created_at": canonical.time(created_at),
        "session": session_id,
        "data": data,
        "previous": previous,
        "signature": signature,
        "key_id": key_id,
    }


def _records(qs: Any) -> list[dict[str, Any]]:
    return [_record_out(v[:-1], v[-1]) for v in qs.values_list(*_FIELDS, "key_id")]


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode()


def _context(profile: PosProfile, first: int, records: list[dict[str, Any]]) -> dict[str, Any]:
    """What the verifier needs from before the archived records: the record just before, the
    last Z before, the earlier ticket and refund records of the sessions whose Z is archived,
    and the earlier Z and close records (closes whose period reaches into the archive's)."""
    earlier = FiscalRecord.objects.filter(profile=profile, sequence__lt=first)
    z_sessions = {r["session"] for r in records if r["kind"] == "z" and r["session"]}
    zs = earlier.filter(kind="z").order_by("-sequence")[:1]
    closing = [
        r
        for r in _records(earlier.filter(kind__in=periods.CLOSE_KINDS).order_by("sequence"))
        if canonical.loads(r["data"])["calendar"]["end"] > records[0]["created_at"]
    ]
    return {
        "before": _records(earlier.order_by("-sequence")[:1]),
        "last_z": _records(zs),
        "earlier_sales": _records(
            earlier.filter(kind__in=("ticket", "refund"), session_id__in=z_sessions).order_by(
                "sequence"
            )
        ),
        "earlier_closing": sorted(_records(zs) + closing, key=lambda r: r["sequence"]),
    }


def _audit(profile: PosProfile, p: periods.Period) -> list[dict[str, Any]]:
    """The event log of the period: the till's sessions' events and those of no session
    (catalog, taxes, settings, users)."""
    events = AuditEvent.objects.filter(at__gte=p.start, at__lt=p.end).filter(
        Q(session__isnull=True) | Q(session__profile=profile)
    )
    return [
        {
            "at": canonical.time(e.at),
            "user": e.user.get_username() if e.user else None,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "object_repr": e.object_repr,
            "session": e.session_id,
            "before": e.before,
            "after": e.after,
            "detail": e.detail,
        }
        for e in events.select_related("user").order_by("at", "id")
    ]


_README = """OpenTill fiscal archive of {till} for {period} ({time_zone}).

manifest.json   what is in here, the SHA-256 of every file; manifest.sig is the Ed25519
                signature (base64) of manifest.json's bytes with the key manifest.key_id.
keys.json       the public keys (PEM) that signed the records and the manifest; check their
                ids (first 16 hex digits of sha256 of the raw 32-byte key) against the ones
                you were given.
records.json    the till's records from the first of the period to its close: each signed
                over data + newline + previous (docs/fiscal.md of OpenTill).
context.json    the records before them a verifier needs (the chain's previous record, the
                last Z, earlier tickets of the sessions closed in the period).
totals.json     the period's close and each Z's period and perpetual grand totals.
audit.json      the event log of the period.
reports/        the Z reports of the period (JSON and text).

Verify it: opentill fiscal verify-archive FILE (or by hand, see docs/fiscal.md).
"""


def archive_build(
    *, profile: PosProfile, period: periods.Period, signer: keys.Signer | None = None
) -> tuple[str, bytes]:
    """The signed archive of a closed period of the till (its file name and bytes), and the
    ``archive`` record that says it was made; 409 ``period_open`` before the period is
    closed."""
    p = period
    signer = signer or keys.current_signer()
    with transaction.atomic(), till_journal(profile, signer=signer) as journal:
        close = closed_record(profile, p)
        if close is None:
            raise Problem(
                "period_open",
                f"{p.name} of {profile.code} is not closed: close it first "
                f"(opentill fiscal close).",
                extra={"period": p.name},
            )
        till = FiscalRecord.objects.filter(profile=profile)
        first = (
            till.filter(created_at__gte=p.start, sequence__lte=close)
            .order_by("sequence")
            .values_list("sequence", flat=True)
            .first()
        ) or close
        records = _records(
            till.filter(sequence__gte=first, sequence__lte=close).order_by("sequence")
        )
        context = _context(profile, first, records)
        data = {r["sequence"]: canonical.loads(r["data"]) for r in records}
        z_sessions = [r["session"] for r in records if r["kind"] == "z" and r["session"]]
        totals = {
            "close": {
                k: data[close][k] for k in ("calendar", "zs", "closes", "period", "perpetual")
            },
            "zs": [
                {
                    "sequence": s,
                    "session_name": data[s]["session_name"],
                    "created_at": data[s]["created_at"],
                    "period": data[s]["period"],
                    "perpetual": data[s]["perpetual"],
                }
                for s in data[close]["zs"]
            ],
        }
        key_ids = {signer.key_id} | {r["key_id"] for r in records}
        key_ids |= {r["key_id"] for rows in context.values() for r in rows}
        public = [
            {"key_id": k, "public_key": pem}
            for k, pem in FiscalKey.objects.filter(key_id__in=key_ids)
            .order_by("id")
            .values_list("key_id", "public_key")
        ]
        files: dict[str, bytes] = {
            "README.txt": _README.format(
                till=profile.code, period=p.name, time_zone=p.time_zone
            ).encode(),
            "keys.json": _json(public),
            "records.json": _json(records),
            "context.json": _json(context),
            "totals.json": _json(totals),
            "audit.json": _json(_audit(profile, p)),
        }
        for part in PARTS:
            files.update(part(profile, z_sessions))
        now = timezone.now()
        archive_sequence = journal.sequence + 1
        manifest = {
            "format": FORMAT,
            "till": profile.pk,
            "till_code": profile.code,
            "store": {"id": profile.store_id, "name": profile.store.name},
            "currency": journal.currency,
            "calendar": p.calendar(),
            "close": {"sequence": close, "signature": _signature(records, close)},
            "records": {"first": first, "last": close, "count": len(records)},
            "archive_record": archive_sequence,
            "created_at": canonical.time(now),
            "key_id": signer.key_id,
            "files": [
                {"name": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
                for name, content in sorted(files.items())
            ],
        }
        manifest_bytes = _json(manifest)
        digest = hashlib.sha256(manifest_bytes).hexdigest()
        journal.append(
            "archive",
            None,
            {
                "calendar": p.calendar(),
                "close": close,
                "records": {"first": first, "last": close},
                "manifest_sha256": digest,
                "files": len(files),
            },
        )
        assert journal.sequence == archive_sequence
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in sorted(files.items()):
            zf.writestr(name, content)
        zf.writestr(MANIFEST, manifest_bytes)
        zf.writestr(SIGNATURE, base64.b64encode(signer.private.sign(manifest_bytes)) + b"\n")
    name = f"opentill-fiscal-{profile.code}-{p.name}.zip"
    return name, out.getvalue()


def _signature(records: list[dict[str, Any]], sequence: int) -> str:
    return next(r["signature"] for r in records if r["sequence"] == sequence)
