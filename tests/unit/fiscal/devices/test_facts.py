"""The ``device`` records' content: what each event must carry and what the verifier
refuses in it."""

from __future__ import annotations

import pytest

from opentill.fiscal.devices import facts


def test_a_body_needs_its_event_fields():
    body = facts.body(
        "outage", device="TSE", driver="simulator", since="t", error="refused", order="u"
    )
    assert body["event"] == "outage" and facts.check(body) is None
    with pytest.raises(ValueError, match="needs order"):
        facts.body("outage", device="TSE", driver="simulator", since="t", error="e")
    with pytest.raises(ValueError, match="unknown"):
        facts.body("exploded", device="TSE", driver="simulator")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"event": "nap", "device": "d", "driver": "x"}, "not one of"),
        ({"event": "refused", "device": "d", "driver": "x", "order": "u"}, "no 'reason'"),
        (
            {
                "event": "recovered",
                "device": "d",
                "driver": "x",
                "since": "2026-11-21T10:00:00.000000Z",
                "until": "2026-11-21T11:00:00.000000Z",
                "failures": 0,
            },
            "no failed attempt",
        ),
        (
            {
                "event": "recovered",
                "device": "d",
                "driver": "x",
                "since": "2026-11-21T11:00:00.000000Z",
                "until": "2026-11-21T10:00:00.000000Z",
                "failures": 2,
            },
            "ends before it begins",
        ),
        (
            {
                "event": "daily_close",
                "device": "d",
                "driver": "x",
                "serial": "s",
                "day": "2026-11-21",
                "counter": True,
                "signature": "",
                "signed_data": "",
            },
            "not a positive integer",
        ),
    ],
)
def test_the_verifier_refuses_wrong_content(data, reason):
    found = facts.check(data)
    assert found is not None and reason in found
