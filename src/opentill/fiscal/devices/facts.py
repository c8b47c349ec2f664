"""What a ``device`` record of a till's journal says, and what the verifier checks in it.
Pure: no Django.

A ``device`` record documents the till's signing device: ``registered`` (the till was
registered on a device: its serial, algorithm and public key), ``outage`` (the device
stopped answering: sales go on, their device transactions wait), ``recovered`` (it answers
again: the waiting transactions are signed), ``refused`` (the device refused a sale's
transaction: it is failed, and this record documents it) and ``daily_close`` (the device's
signed close of a day).
"""

from __future__ import annotations

from typing import Any

EVENTS = ("registered", "outage", "recovered", "refused", "daily_close")

#: The fields each event must carry (besides ``event``, ``device``, ``driver``).
REQUIRED: dict[str, tuple[str, ...]] = {
    "registered": ("serial", "algorithm", "public_key", "client_id"),
    "outage": ("since", "error", "order"),
    "recovered": ("since", "until", "failures"),
    "refused": ("order", "reason"),
    "daily_close": ("serial", "day", "counter", "signature", "signed_data"),
}


def body(event: str, *, device: str, driver: str, **fields: Any) -> dict[str, Any]:
    """A ``device`` record's body (the journal adds what every record has)."""
    if event not in EVENTS:
        raise ValueError(f"unknown device event {event!r}")
    missing = [name for name in REQUIRED[event] if name not in fields]
    if missing:
        raise ValueError(f"a {event} record needs {', '.join(missing)}")
    return {"event": event, "device": device, "driver": driver, **fields}


def check(data: dict[str, Any]) -> str | None:
    """Why a ``device`` record's content is wrong, or ``None``: a known event with the
    fields it must carry, a recovery ending after its outage began and counting at least
    one failed attempt, a close's counter a positive integer."""
    event = data.get("event")
    if event not in EVENTS:
        return f"its device event {event!r} is not one of {', '.join(EVENTS)}"
    for name in ("device", "driver", *REQUIRED[event]):
        if name not in data:
            return f"its {event} device event has no {name!r}"
    if event == "recovered":
        failures = data["failures"]
        if not isinstance(failures, int) or isinstance(failures, bool) or failures < 1:
            return "its recovery counts no failed attempt"
        if not (isinstance(data["since"], str) and isinstance(data["until"], str)):
            return "its outage's times are not times"
        if data["until"] < data["since"]:  # canonical times sort as text
            return "its outage ends before it begins"
    if event == "daily_close":
        counter = data["counter"]
        if not isinstance(counter, int) or isinstance(counter, bool) or counter < 1:
            return "its device counter is not a positive integer"
    return None
