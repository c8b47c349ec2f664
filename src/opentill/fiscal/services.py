"""Writing the fiscal journal: each till's records appended under its head's lock, in the
transaction of the event they record (the sync, the void, the close), so a record exists
if and only if its event does.

The receivers below are connected in ``FiscalConfig.ready`` to the signals the lower
contexts send inside their transactions: ``orders.signals.orders_synced`` (a ``ticket`` or
``refund`` record per sold order; a ``rescue`` record when the orders went to a rescue
session), ``orders.signals.order_voided`` (a ``void``) and
``pos.signals.session_close_booked`` (the ``void`` records of the tickets the close voided,
a ``force_close`` record when forced, and the ``z`` with the grand totals, which the till's
head keeps running: :class:`opentill.fiscal.totals.Running`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.utils import timezone

from opentill.common.db import db_value, insert_rows
from opentill.fiscal import canonical, facts, keys, totals
from opentill.fiscal.models import FiscalHead, FiscalKey, FiscalRecord
from opentill.money import currency_places
from opentill.orders.domain import SOLD_STATES, StoredOrder
from opentill.orders.models import Order
from opentill.pos.models import PosProfile, Session

_FIELDS = (
    "profile",
    "sequence",
    "kind",
    "created_at",
    "session",
    "data",
    "previous",
    "signature",
    "key_id",
)


def key_register(signer: keys.Signer) -> None:
    """Store the signer's public key (once: a key already stored is left as it is)."""
    FiscalKey.objects.bulk_create(
        [FiscalKey(key_id=signer.key_id, public_key=signer.public_pem)], ignore_conflicts=True
    )


class TillJournal:
    """One till's journal, its head locked: :meth:`append` signs records in memory and adds
    tickets and refunds to the head's running grand totals (:class:`totals.Running`); the
    context of :func:`till_journal` writes them in one INSERT and moves the head once."""

    def __init__(self, profile: PosProfile, signer: keys.Signer) -> None:
        self.profile = profile
        self.signer = signer
        self.currency = profile.store.company.currency
        self.places = currency_places(self.currency)
        locked = FiscalHead.objects.select_for_update().filter(pk=profile.pk)
        head = locked.values_list("sequence", "signature", "totals").first()
        if head is None:
            FiscalHead.objects.bulk_create([FiscalHead(profile=profile)], ignore_conflicts=True)
            head = locked.values_list("sequence", "signature", "totals").get()
        self.sequence, self.signature, text = head
        self.totals = totals.Running(text, self.places)
        self.rows: list[tuple[Any, ...]] = []
        # Every record's fields but its body, sequence, kind, time and session.
        self._common = {
            "format": canonical.FORMAT,
            "till": profile.pk,
            "till_code": profile.code,
            "key_id": signer.key_id,
            "currency": self.currency,
        }

    def append(self, kind: str, session_id: int | None, body: dict[str, Any]) -> str:
        """Sign and queue a record of ``kind``; returns its canonical data."""
        now = timezone.now()
        sequence = self.sequence + 1
        record = {
            **body,
            **self._common,
            "sequence": sequence,
            "kind": kind,
            "created_at": canonical.time(now),
            "session": session_id,
        }
        data = canonical.dumps(record)
        signature = self.signer.sign(canonical.message(data, self.signature))
        self.rows.append(
            (
                self.profile.pk,
                sequence,
                kind,
                db_value(FiscalRecord, "created_at", now),
                session_id,
                data,
                self.signature,
                signature,
                self.signer.key_id,
            )
        )
        self.sequence, self.signature = sequence, signature
        self.totals.add(kind, session_id, record)
        return data

    def period(self, session_id: int) -> dict[str, Any]:
        """The grand totals of the session's tickets and refunds so far (the head's)."""
        return self.totals.period(session_id)

    def flush(self) -> None:
        if not self.rows:
            return
        insert_rows(FiscalRecord, _FIELDS, self.rows)
        moved: dict[str, Any] = {"sequence": self.sequence, "signature": self.signature}
        if self.totals.changed:
            moved["totals"] = self.totals.text()
        FiscalHead.objects.filter(pk=self.profile.pk).update(**moved)
        self.rows = []
        self.totals.changed = False


@contextmanager
def till_journal(
    profile: PosProfile, *, signer: keys.Signer | None = None
) -> Iterator[TillJournal]:
    """Lock ``profile``'s journal for appending (inside the caller's transaction)."""
    signer = signer or keys.current_signer()
    with transaction.atomic():
        key_register(signer)
        journal = TillJournal(profile, signer)
        yield journal
        journal.flush()


# --- receivers --------------------------------------------------------------------------------


def on_orders_synced(
    sender: Any, *, orders: Sequence[StoredOrder], session: Session, **kwargs: Any
) -> None:
    """A ``ticket`` or ``refund`` record per sold order (``training`` in a training session:
    chained, in no grand total; pending tickets are recorded when voided); a ``rescue``
    record first when the orders went to a rescue session."""
    sold = [o for o in orders if o.state in SOLD_STATES]
    if not sold and not (session.rescue and orders):
        return
    with till_journal(session.profile) as journal:
        if session.rescue:
            journal.append(
                "rescue",
                session.pk,
                facts.rescue(session_name=session.name, orders=[str(o.uuid) for o in orders]),
            )
        for order in sold:
            journal.append(
                "training" if session.training else facts.sale_kind(order),
                session.pk,
                facts.sale(order, session_name=session.name, places=journal.places),
            )


def _void_body(order: Order, session: Session, places: int) -> dict[str, Any]:
    return facts.void(
        order_uuid=str(order.uuid),
        number=facts.number_of(order),
        session_name=session.name,
        ordered_at=order.created_at,
        total=order.total,
        amount_due=order.amount_due,
        reason=order.void_reason,
        places=places,
    )


def on_order_voided(sender: Any, *, order: Order, session: Session, **kwargs: Any) -> None:
    """A ``void`` record for a pending ticket voided by its cashier."""
    with till_journal(session.profile) as journal:
        journal.append("void", session.pk, _void_body(order, session, journal.places))


def on_session_close_booked(sender: Any, *, session: Session, user: Any, **kwargs: Any) -> None:
    """The close's records: a ``void`` for each pending ticket it voided, ``force_close``
    when forced, then the ``z`` with the session's and the till's grand totals, computed
    from the ticket and refund records of the journal as the head keeps them running
    (:mod:`opentill.fiscal.totals`)."""
    profile = session.profile
    with till_journal(profile) as journal:
        mine = FiscalRecord.objects.filter(profile=profile, session=session)
        recorded = {
            canonical.loads(data)["order"]
            for data in mine.filter(kind=FiscalRecord.Kind.VOID).values_list("data", flat=True)
        }
        for order in Order.objects.filter(session=session, state=Order.State.VOID).order_by("id"):
            if str(order.uuid) not in recorded:
                journal.append("void", session.pk, _void_body(order, session, journal.places))
        by = user.get_username() if user is not None else ""
        if session.force_close_reason:
            journal.append(
                "force_close",
                session.pk,
                facts.force_close(
                    session_name=session.name, reason=session.force_close_reason, by=by
                ),
            )
        # The grand totals the head keeps running under its lock (O(1), whatever the
        # session's size); the verifier recomputes them from the records.
        period = journal.period(session.pk)
        perpetual = totals.perpetual(journal.totals.perpetual, period, journal.places)
        journal.append(
            "z",
            session.pk,
            facts.z(
                session_name=session.name,
                rescue=session.rescue,
                forced=bool(session.force_close_reason),
                opened_at=session.opened_at,
                closed_at=session.closed_at or timezone.now(),
                closed_by=by,
                period=period,
                perpetual=perpetual,
                training=session.training,
            ),
        )


# --- key rotation -----------------------------------------------------------------------------


def key_rotate(*, path: Path | None = None) -> keys.Signer:
    """Replace the signing key: every till with records gets a ``key_rotation`` record
    signed with the outgoing key and naming the new one, the new public key is stored, and
    the key file is replaced (the outgoing private key is gone; its public key stays)."""
    path = path or keys.key_path()
    old = keys.current_signer()
    private = Ed25519PrivateKey.generate()
    new = keys.Signer.of(private)
    staged = path.with_name(path.name + ".new")
    staged.unlink(missing_ok=True)
    keys.write_private(staged, private)
    try:
        with transaction.atomic():
            key_register(new)
            tills = FiscalHead.objects.values_list("profile_id", flat=True)
            for profile in (
                PosProfile.objects.filter(pk__in=tills)
                .select_related("store__company")
                .order_by("pk")
            ):
                with till_journal(profile, signer=old) as journal:
                    journal.append(
                        "key_rotation",
                        None,
                        facts.key_rotation(new_key_id=new.key_id, new_public_key=new.public_pem),
                    )
            os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    return new
