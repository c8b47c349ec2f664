"""What the verifier checks in the content of the technical records and training tickets
(issue #13 items 2 and 7), beyond the signature and chain every record has. Pure: no Django.

* ``training``: each side's ``net`` + ``tax`` is its ``total``, and sales + refunds make
  the ticket's ``total`` (a training ticket is in no grand total, so its own figures are
  all there is to check).
* ``reprint``: names what was reprinted (``receipt`` or ``report``) and how.
* ``approval``: names the action approved and the manager who approved it.
* ``settings``: names the change and at least one changed field, each with ``from`` and
  ``to`` (or, for a product's taxes, ``added``/``removed``/``now``).
* ``version``: names the version, which differs from the one before it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

KINDS = frozenset({"training", "reprint", "approval", "settings", "version"})
REPRINTED = frozenset({"receipt", "report"})
APPROVED = frozenset({"opening_difference", "closing_difference"})


def _text(data: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            return f"its {name} is missing or empty"
    return None


def _training(data: dict[str, Any]) -> str | None:
    try:
        sides = {side: data[side] for side in ("sales", "refunds")}
        for side, sums in sides.items():
            net, tax, total = (Decimal(sums[k]) for k in ("net", "tax", "total"))
            if net + tax != total:
                return f"its {side}' net {net} and tax {tax} do not make its total {total}"
        total = Decimal(data["total"])
        both = Decimal(sides["sales"]["total"]) + Decimal(sides["refunds"]["total"])
    except (KeyError, TypeError, InvalidOperation) as exc:
        return f"its figures cannot be read: {exc!r}"
    if both != total:
        return f"its sales and refunds make {both}, not its total {total}"
    return None


def _settings(data: dict[str, Any]) -> str | None:
    missing = _text(data, "change", "subject")
    if missing:
        return missing
    changes = data.get("changes")
    if not isinstance(changes, dict) or not changes:
        return "it names no changed field"
    for name, change in changes.items():
        if not isinstance(change, dict) or not (
            {"from", "to"} <= change.keys() or {"added", "removed", "now"} <= change.keys()
        ):
            return f"its change of {name} does not say from what to what"
    return None


def check(kind: str, data: dict[str, Any]) -> str | None:
    """Why a record of ``kind`` says something impossible (``None``: nothing found)."""
    if kind == "training":
        return _training(data)
    if kind == "reprint":
        if data.get("what") not in REPRINTED:
            return f"it reprints {data.get('what')!r}, neither a receipt nor a report"
        return _text(data, "reference", "medium")
    if kind == "approval":
        if data.get("action") not in APPROVED:
            return f"it approves {data.get('action')!r}, not a difference"
        return _text(data, "approver", "session_name")
    if kind == "settings":
        return _settings(data)
    if kind == "version":
        missing = _text(data, "version")
        if missing:
            return missing
        if data.get("previous") == data["version"]:
            return f"it records version {data['version']} again"
    return None
