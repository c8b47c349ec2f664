"""Where drops go and deposits come from: the profile's list, a plugin's, or a generic one.

Plugins register a callable ``(profile, kind) -> list[Destination] | None`` in the entry
point group ``opentill.cash_destinations``; the first that answers a list wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

ENTRY_POINT_GROUP = "opentill.cash_destinations"


@dataclass(frozen=True)
class Destination:
    name: str
    financial_account_id: int


def _plugins() -> list[Any]:
    return [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]


def destinations_for(*, profile: Any, kind: str, method: Any | None = None) -> list[Destination]:
    """Destinations (drops) or sources (deposits) offered on ``profile``."""
    for plugin in _plugins():
        answer = plugin(profile, kind)
        if answer is not None:
            return list(answer)
    configured = [
        Destination(d.name, d.financial_account_id)
        for d in profile.cash_move_destinations.all()
        if d.kind == kind
    ]
    if configured:
        return configured
    # Generic fallback: the close destination of the method (or of the first cash method).
    methods = (
        [method]
        if method is not None
        else [m for m in profile.payment_methods.all() if m.kind == "cash"]
    )
    for m in methods:
        if m.close_destination_id is not None:
            return [Destination(m.close_destination.name, m.close_destination_id)]
    return []
