"""The software signer behind the device interface: the till's fiscal journal, signed by
OpenTill itself (Ed25519, :mod:`opentill.fiscal.keys`), answers as a device would. Its
serial is the signing key's id, its counter and transaction number the sale record's
sequence in the till's journal, its signature that record's signature over its data and the
previous signature (``signed_data`` is that exact message), its log the till's records.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from opentill.fiscal import canonical, keys
from opentill.fiscal.devices.base import (
    DailyClose,
    DeviceRefused,
    DeviceUnavailable,
    Health,
    Registration,
    SignatureBundle,
    Started,
    Transaction,
)
from opentill.fiscal.models import FiscalKey, FiscalRecord
from opentill.fiscal.selectors import records_list
from opentill.pos.models import PosProfile

ALGORITHM = "Ed25519"


class SoftwareSigner:
    """The till's own journal as its signing device."""

    def __init__(self, profile: PosProfile) -> None:
        self.profile = profile

    def _signer(self) -> keys.Signer:
        try:
            return keys.current_signer()
        except (OSError, ValueError) as exc:
            raise DeviceUnavailable(f"the journal's key cannot be read: {exc}") from None

    def register_till(self, client_id: str) -> Registration:
        signer = self._signer()
        return Registration(
            client_id=client_id,
            serial=signer.key_id,
            algorithm=ALGORITHM,
            public_key=signer.public_pem,
            response=json.dumps({"key_id": signer.key_id}),
        )

    def _record(self, tx: Transaction) -> FiscalRecord:
        sequence = tx.process_data.get("record")
        if not isinstance(sequence, int):
            raise DeviceRefused("the transaction names no record of the till's journal")
        record = FiscalRecord.objects.filter(profile=self.profile, sequence=sequence).first()
        if record is None:
            raise DeviceRefused(f"the till's journal has no record {sequence!r}")
        if canonical.loads(record.data).get("order") != tx.process_data.get("order"):
            raise DeviceRefused(f"record {sequence} is not the sale of {tx.process_data['order']}")
        return record

    def start_transaction(self, tx: Transaction) -> Started:
        record = self._record(tx)
        return Started(
            tx_id=tx.tx_id, number=record.sequence, started=canonical.time(record.created_at)
        )

    update_transaction = start_transaction  # the record is written once: nothing to update

    def finish_transaction(self, tx: Transaction) -> SignatureBundle:
        record = self._record(tx)
        public = (
            FiscalKey.objects.filter(key_id=record.key_id).values_list("public_key", flat=True)
        ).first() or ""
        at = canonical.time(record.created_at)
        return SignatureBundle(
            tx_id=tx.tx_id,
            number=record.sequence,
            counter=record.sequence,
            started=at,
            finished=at,
            signature=record.signature,
            algorithm=ALGORITHM,
            serial=record.key_id,
            public_key=public,
            signed_data=canonical.message(record.data, record.previous).decode("utf-8"),
            response=json.dumps({"sequence": record.sequence, "signature": record.signature}),
        )

    def daily_close(self, client_id: str, day: str) -> DailyClose:
        """The till's journal as it stood at the end of ``day`` (its last record then)."""
        try:
            first = date.fromisoformat(day)
        except ValueError:
            raise DeviceRefused(f"{day!r} is not a day (YYYY-MM-DD)") from None
        zone = timezone.get_current_timezone()
        end = datetime.combine(first + timedelta(days=1), time.min, zone)
        last = (
            FiscalRecord.objects.filter(profile=self.profile, created_at__lt=end)
            .order_by("-sequence")
            .first()
        )
        if last is None:
            raise DeviceRefused(f"the till has no record by the end of {day}")
        return DailyClose(
            day=day,
            counter=last.sequence,
            signature=last.signature,
            signed_data=canonical.message(last.data, last.previous).decode("utf-8"),
            response=json.dumps({"sequence": last.sequence}),
        )

    def export_log(self, client_id: str) -> bytes:
        lines = [canonical.dumps(r) for r in records_list(profile=self.profile)]
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def health(self) -> Health:
        try:
            signer = self._signer()
        except DeviceUnavailable as exc:
            return Health(ok=False, detail=str(exc))
        return Health(ok=True, serial=signer.key_id)
