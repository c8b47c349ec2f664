"""The fiscal journal's technical events (issue #13 item 2): ``reprint``, ``approval``,
``settings`` and ``version`` records, each written in the transaction of its event, and the
proof a receipt prints (:func:`receipt_proof`: the record of a ticket, its signature excerpt
and the QR code's payload).

* ``reprint``: a receipt (screen, print or PDF) or a report asked for again
  (:func:`reprint_record`, called by the reports context, which sits above this one).
* ``approval``: a manager's approval of an opening or closing difference, consumed by
  ``pos.access.approval_check``, which sends ``pos.signals.difference_approved``.
* ``settings``: a change of a product's price or taxes, of a tax's rate, of a fiscal
  position's mappings or of the company's conventions, from the back office or the API:
  the rows' ``pre_save``/``post_save`` (and the tax mappings' ``m2m_changed``) signals,
  connected in ``FiscalConfig.ready``. A company's settings are the same for all its tills,
  while a journal is per till: the change is recorded **in the journal of every till of
  the company**, so each journal read alone tells what its tickets were priced under.
* ``version``: at ``migrate`` (``post_migrate``), every till that has records and whose last
  ``version`` record names another version (or none) gets one with the version now
  running and the one before.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction

from opentill.fiscal import canonical, facts
from opentill.fiscal.models import FiscalHead, FiscalRecord
from opentill.fiscal.services import till_journal
from opentill.pos.models import PosProfile, Session

#: The kinds of record a receipt proves: the record written for the order at its sync.
RECEIPT_KINDS = ("ticket", "refund", "training")
#: Characters of the signature (base64) printed on a receipt.
EXCERPT = 16
#: The QR payload's format marker (docs/fiscal.md, "What a receipt proves").
QR_FORMAT = "OT1"


def _actor(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return str(user.get_username())


# --- reprint ----------------------------------------------------------------------------------


def reprint_record(
    *,
    profile: PosProfile,
    session: Session | None,
    what: str,
    reference: str,
    medium: str,
    user: Any,
    order: str | None = None,
    number: str | None = None,
) -> dict[str, Any]:
    """A ``reprint`` record in ``profile``'s journal: ``what`` (``receipt`` or ``report``)
    named by ``reference`` (the ticket number or the session's name), on ``medium``
    (``screen``, ``print``, ``pdf``, ``html``, ``text``, ``escpos``). Returns its data."""
    with till_journal(profile) as journal:
        data = journal.append(
            "reprint",
            session.pk if session is not None else None,
            facts.reprint(
                what=what,
                reference=reference,
                medium=medium,
                by=_actor(user),
                order=order,
                number=number,
            ),
        )
    return canonical.loads(data)


# --- approval ---------------------------------------------------------------------------------


def on_difference_approved(
    sender: Any, *, session: Session, action: str, approver: Any, why: str, **kwargs: Any
) -> None:
    """An ``approval`` record in the session's till: who approved which difference."""
    with till_journal(session.profile) as journal:
        journal.append(
            "approval",
            session.pk,
            facts.approval(
                session_name=session.name, action=action, approver=_actor(approver), why=why
            ),
        )


# --- settings ---------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A setting's value in the canonical form: a Decimal as text (never a float)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Iterable):
        return [plain(v) for v in value]
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{field: {"from": …, "to": …}}`` for the fields whose value changed."""
    return {
        name: {"from": plain(before.get(name)), "to": plain(value)}
        for name, value in sorted(after.items())
        if plain(before.get(name)) != plain(value)
    }


#: What a ``settings`` record watches: model label → (fields, the change's name).
WATCHED: dict[str, tuple[tuple[str, ...], str]] = {
    "catalog.product": (("price",), "product_price"),
    "catalog.tax": (
        ("name", "kind", "rate", "amount", "price_include", "include_base_amount", "sequence"),
        "tax",
    ),
    "catalog.fiscalposition": (("name",), "fiscal_position"),
    "catalog.fiscalpositiontax": (("tax_src_id", "tax_dest_id"), "fiscal_position"),
    "stores.company": (
        (
            "currency",
            "prices_include_tax",
            "cash_rounding",
            "cash_rounding_mode",
            "cash_rounding_scope",
            "tax_rounding",
            "discount_rounding",
        ),
        "company_conventions",
    ),
}


def _watched(instance: Any) -> tuple[tuple[str, ...], str] | None:
    return WATCHED.get(instance._meta.label_lower)


def _values(instance: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The watched fields' values, amounts with the currency's decimals and rates with four
    (the canonical form's way), whatever decimals the value was given with."""
    values = {}
    for name in fields:
        value = getattr(instance, name)
        kind = type(instance._meta.get_field(name.removesuffix("_id"))).__name__
        if isinstance(value, Decimal) and kind == "MoneyField":
            company = instance if instance._meta.label_lower == "stores.company" else None
            places = (company or instance.company).places
            value = canonical.amount(value, places)
        elif isinstance(value, Decimal) and kind == "RateField":
            value = canonical.rate(value)
        values[name] = value
    return values


def _company_id(instance: Any) -> int | None:
    label = instance._meta.label_lower
    if label == "stores.company":
        return int(instance.pk)
    if label == "catalog.fiscalpositiontax":
        return int(instance.position.company_id)
    return int(instance.company_id) if instance.company_id is not None else None


def _subject(instance: Any) -> str:
    label = instance._meta.label_lower
    if label == "catalog.product":
        return f"product {instance.sku} {instance.name}"
    if label == "catalog.fiscalpositiontax":
        return f"fiscal position {instance.position.name}"
    return f"{instance._meta.verbose_name} {instance}"


def _journaled(company_id: int) -> bool:
    return FiscalHead.objects.filter(profile__store__company_id=company_id, sequence__gt=0).exists()


def settings_record(*, company_id: int, change: str, subject: str, changes: dict[str, Any]) -> int:
    """A ``settings`` record in every till of the company that keeps a journal (one per
    till: a journal is read alone; a till without records has no ticket priced under the
    settings before, and its first ticket record carries its prices and taxes). Returns how
    many tills recorded it."""
    tills = FiscalHead.objects.filter(
        profile__store__company_id=company_id, sequence__gt=0
    ).values_list("profile_id", flat=True)
    profiles = list(
        PosProfile.objects.filter(pk__in=list(tills))
        .select_related("store__company")
        .order_by("pk")
    )
    body = facts.settings_change(change=change, subject=subject, changes=changes)
    with transaction.atomic():
        for profile in profiles:
            with till_journal(profile) as journal:
                journal.append("settings", None, body)
    return len(profiles)


def on_pre_save(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Keep the stored values of a watched row before it changes."""
    watched = _watched(instance)
    instance._fiscal_before = None
    if watched is None or raw or instance.pk is None:
        return
    stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    if stored is not None:
        instance._fiscal_before = _values(stored, watched[0])


def on_post_save(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    """A ``settings`` record when a watched field changed (a new fiscal position mapping
    too: it changes what a position charges; a new product, tax or position is not a change
    of what was sold before, and its first ticket records its price and taxes)."""
    watched = _watched(instance)
    if watched is None or raw:
        return
    fields, change = watched
    before = getattr(instance, "_fiscal_before", None)
    instance._fiscal_before = None
    new_mapping = created and instance._meta.label_lower == "catalog.fiscalpositiontax"
    if before is None and not new_mapping:
        return
    company_id = _company_id(instance)
    if company_id is None or not _journaled(company_id):
        return
    changes = diff(before or {}, _values(instance, fields))
    if changes:
        settings_record(
            company_id=company_id, change=change, subject=_subject(instance), changes=changes
        )


def on_post_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A fiscal position mapping removed."""
    if instance._meta.label_lower != "catalog.fiscalpositiontax":
        return
    company_id = _company_id(instance)
    if company_id is None or not _journaled(company_id):
        return
    fields = WATCHED["catalog.fiscalpositiontax"][0]
    changes = {
        name: {"from": plain(v), "to": None} for name, v in _values(instance, fields).items()
    }
    settings_record(
        company_id=company_id, change="fiscal_position", subject=_subject(instance), changes=changes
    )


def on_product_taxes_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    """A product's taxes added or removed (``Product.taxes``, from the product's side)."""
    if reverse or action not in ("post_add", "post_remove", "post_clear") or not instance.pk:
        return
    if action != "post_clear" and not pk_set:
        return
    if not _journaled(instance.company_id):
        return
    ids = sorted(pk_set or [])
    changes = {
        "taxes": {
            "added": [str(i) for i in ids] if action == "post_add" else [],
            "removed": [str(i) for i in ids] if action == "post_remove" else [],
            "now": [str(i) for i in instance.taxes.order_by("pk").values_list("pk", flat=True)],
        }
    }
    settings_record(
        company_id=instance.company_id,
        change="product_taxes",
        subject=_subject(instance),
        changes=changes,
    )


# --- version ----------------------------------------------------------------------------------


def running_version() -> str:
    from opentill import __version__

    return __version__


def version_record(*, version: str | None = None) -> int:
    """A ``version`` record in each till with records whose last ``version`` record names
    another version (or that has none yet). Returns how many tills recorded one."""
    version = version or running_version()
    recorded = 0
    tills = FiscalHead.objects.filter(sequence__gt=0).values_list("profile_id", flat=True)
    with transaction.atomic():
        for profile in (
            PosProfile.objects.filter(pk__in=list(tills))
            .select_related("store__company")
            .order_by("pk")
        ):
            last = (
                FiscalRecord.objects.filter(profile=profile, kind=FiscalRecord.Kind.VERSION)
                .order_by("-sequence")
                .values_list("data", flat=True)
                .first()
            )
            previous = canonical.loads(last)["version"] if last else None
            if previous == version:
                continue
            with till_journal(profile) as journal:
                journal.append("version", None, facts.version(version=version, previous=previous))
            recorded += 1
    return recorded


def on_post_migrate(sender: Any, *, using: str = "default", **kwargs: Any) -> None:
    """After ``migrate``: the software version, once per till and version."""
    if getattr(sender, "label", None) != "fiscal":
        return
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[using]
    if "fiscal_fiscalhead" not in connection.introspection.table_names():
        return
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return  # migrated part of the way (back, or one app): not the software's own tables
    version_record()


# --- the proof on a receipt -------------------------------------------------------------------


def order_record(*, profile_id: int, session_id: int, order_uuid: str) -> FiscalRecord | None:
    """The ticket, refund or training record written for the order at its sync, if any."""
    return (
        FiscalRecord.objects.filter(
            profile_id=profile_id,
            session_id=session_id,
            kind__in=RECEIPT_KINDS,
            # The canonical form writes the pair exactly so (docs/fiscal.md).
            data__contains=f'"order":"{order_uuid}"',
        )
        .order_by("sequence")
        .first()
    )


def qr_payload(data: dict[str, Any], signature: str) -> str:
    """The QR code's text: ``OT1`` and the record's key data, ``|``-separated (docs/fiscal.md):
    till code, ticket number, sequence, kind, time, currency, total, the taxes
    (``rate:base:tax`` per tax, ``;``-separated; refunds apart), key id and signature."""
    taxes = ";".join(
        f"{t['rate']}:{_sum(t['sales']['base'], t['refunds']['base'])}:"
        f"{_sum(t['sales']['tax'], t['refunds']['tax'])}"
        for t in data.get("taxes", [])
    )
    fields = [
        QR_FORMAT,
        str(data["till_code"]),
        str(data.get("number") or ""),
        str(data["sequence"]),
        str(data["kind"]),
        str(data.get("ordered_at") or data["created_at"]),
        str(data["currency"]),
        str(data.get("total", "")),
        taxes,
        str(data["key_id"]),
        signature,
    ]
    return "|".join(fields)


def _sum(a: str, b: str) -> str:
    places = max(len(a.partition(".")[2]), len(b.partition(".")[2]))
    return canonical.amount(Decimal(a) + Decimal(b), places)


def receipt_proof(record: FiscalRecord) -> dict[str, Any]:
    """What a receipt prints of its record: sequence, kind, key id, the signature's first
    characters and the QR payload."""
    data = canonical.loads(record.data)
    return {
        "sequence": record.sequence,
        "kind": record.kind,
        "key_id": record.key_id,
        "created_at": data["created_at"],
        "signature": record.signature,
        "excerpt": record.signature[:EXCERPT],
        "qr": qr_payload(data, record.signature),
        "training": record.kind == FiscalRecord.Kind.TRAINING,
    }


# --- wiring -----------------------------------------------------------------------------------


def connect_receivers() -> None:
    """Connect this module's receivers (``FiscalConfig.ready``)."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_save

    from opentill.pos.signals import difference_approved

    difference_approved.connect(on_difference_approved, dispatch_uid="fiscal-difference-approved")
    for label in WATCHED:
        model = apps.get_model(label)
        uid = f"fiscal-settings-{label}"
        pre_save.connect(on_pre_save, sender=model, dispatch_uid=uid)
        post_save.connect(on_post_save, sender=model, dispatch_uid=uid)
        post_delete.connect(on_post_delete, sender=model, dispatch_uid=uid)
    product = apps.get_model("catalog.product")
    m2m_changed.connect(
        on_product_taxes_changed,
        sender=product.taxes.through,
        dispatch_uid="fiscal-settings-product-taxes",
    )
    post_migrate.connect(
        on_post_migrate, sender=apps.get_app_config("fiscal"), dispatch_uid="fiscal-version"
    )
