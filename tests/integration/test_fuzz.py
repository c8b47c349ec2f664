"""The REST API fuzzed by schemathesis against the real server (pytest-django's live server,
real HTTP) with the demo shop loaded, as a cashier and as a manager.

* Every operation gets generated input that fits its schema and input that does not, half of
  it aimed at objects that exist (a session with a paid, a parked and a held ticket), so the
  requests reach past the 404 into the rules.
* Then chains of calls follow the OpenAPI links (list the tills, create a session on one,
  open, sell, count, close it…), the state machine of schemathesis.

Any 5xx, an undocumented status, a wrong content type, a missing documented header or a body
that breaks its schema fails the test. Bounded: a fixed seed (derandomized) and a few
examples per operation, so a run takes a couple of minutes. ``pytest -m fuzz`` runs it
alone, ``-m "not fuzz"`` leaves it out.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from opentill.identity.services import token_issue
from tests.conftest import Api, order
from tests.integration.helpers import open_session, sync

pytestmark = pytest.mark.fuzz

ROLES = ("alice", "manager")  # a cashier, a manager
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
LOGOUT = ("POST", "/api/v1/auth/logout")

EXAMPLES = 25  # per operation and role (stateless)
SCENARIOS, STEPS = 20, 10  # per role (stateful)

BOUNDED = {
    "derandomize": True,  # a fixed seed: the same requests on every run
    "database": None,  # nothing remembered between runs
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
}


def _bearer(username: str) -> dict[str, str]:
    token, _ = token_issue(username=username, password="demo")
    return {"Authorization": f"Bearer {token}"}


def _known_ids(shop: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    """A session of the user's on TILL1 with a paid, a parked (draft, no customer) and a
    held ticket: path parameters that name real objects."""
    api = Api(headers["Authorization"].removeprefix("Bearer "))
    till, cash = shop["till1"], shop["cash1"]
    session = open_session(api, till.pk, [{"payment_method": cash.pk, "amount": "0.00"}])
    espresso = shop["espresso"].pk
    paid = order([(espresso, "1")], [(cash.pk, "2.20")])
    draft = order([(espresso, "2")], state="draft")
    held = order([(espresso, "1")], [(cash.pk, "9.99")])  # a payment mismatch: held
    results = sync(api, session["id"], paid, draft, held)
    assert [r["status"] for r in results] == ["created", "created", "held"], results
    return {
        "profile_id": till.pk,
        "session_id": session["id"],
        "order_uuid": draft["uuid"],
        "held_uuid": held["uuid"],
        "dataset": "orders",
    }


def _strategy(operation: Any, known: dict[str, Any]) -> Any:
    """Valid and invalid input for ``operation``, half of it naming the known objects."""
    names = re.findall(r"{(\w+)}", operation.path)
    fixed = {name: known[name] for name in names if name in known}
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
    if fixed:
        strategies += [
            operation.as_strategy(generation_mode=mode, path_parameters=fixed) for mode in modes
        ]
    return st.one_of(strategies)


@pytest.mark.parametrize("username", ROLES)
def test_every_operation_answers_as_documented(
    live_server: Any, shop: dict[str, Any], username: str
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    headers = _bearer(username)
    known = _known_ids(shop, headers)
    sent: list[int] = []
    failures: dict[str, BaseException] = {}
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @given(case=_strategy(operation, known))
        @settings(max_examples=EXAMPLES, phases=[Phase.explicit, Phase.generate], **BOUNDED)
        def check(case: Any) -> None:
            sending = headers
            if (case.method.upper(), case.path) == LOGOUT:
                sending = _bearer(username)  # logging out revokes the token it sends
            sent.append(1)
            case.call_and_validate(headers=sending, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # every operation is tried; all failures are reported
            failures[operation.label] = exc
    seconds = time.monotonic() - started
    print(
        f"\nfuzz as {username}: {len(operations)} operations, {len(sent)} requests, "
        f"{seconds:.1f} s, {len(failures)} failing"
    )
    assert not failures, "\n\n".join(f"{label}:\n{exc}" for label, exc in failures.items())


@pytest.mark.parametrize("username", ROLES)
def test_call_sequences_along_the_links_answer_as_documented(
    live_server: Any, shop: dict[str, Any], username: str
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    headers = _bearer(username)
    sent: list[tuple[str, int]] = []
    machine = schema.exclude(method="POST", path="/api/v1/auth/logout").as_state_machine()

    class Scenarios(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            sent.append((case.operation.label, response.status_code))
            case.validate_response(response, checks=CHECKS, headers=headers)

    started = time.monotonic()
    Scenarios.run(
        settings=settings(
            max_examples=SCENARIOS, stateful_step_count=STEPS, phases=[Phase.generate], **BOUNDED
        )
    )
    print(
        f"\nstateful fuzz as {username}: {len(sent)} requests, "
        f"{time.monotonic() - started:.1f} s: {sorted(Counter(sent).items())}"
    )
    assert sent, "no request was sent"
