"""Malformed and forbidden input through the HTTP API: always a 4xx problem document with a
stable code, never a 500, and nothing stored for the bad part of a request."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opentill.accounting.models import FinancialTransaction
from opentill.orders.models import HeldOrder, Order
from opentill.pos.models import Session, SessionCount
from tests.conftest import Api, new_uuid, order, rolled_back
from tests.integration.checks import (
    Rows,
    assert_not_stored,
    assert_payments_match_transactions,
    assert_problem,
    assert_problem_document,
)
from tests.integration.helpers import open_session, sync


@dataclass
class Till:
    """Alice's session in progress on Till 2 (no opening control) and the demo shop."""

    api: Api
    session: int
    shop: dict[str, Any]

    @property
    def espresso(self) -> int:
        return self.shop["espresso"].pk

    @property
    def cash(self) -> int:
        return self.shop["cash2"].pk

    @property
    def card(self) -> int:
        return self.shop["card2"].pk

    def good(self) -> dict[str, Any]:
        return order([(self.espresso, "1")], [(self.cash, "2.20")])

    def post_orders(self, body: Any = None, raw: str | None = None) -> Any:
        return self.api.post(f"/sessions/{self.session}/orders", body, raw=raw)


@pytest.fixture
def till(api_as, shop) -> Till:
    alice = api_as("alice")
    return Till(alice, open_session(alice, shop["till2"].pk)["id"], shop)


# --- one bad order in a batch: rejected or held with a problem document, the others created --


def _payment(amount: Any) -> Callable[[Till], dict[str, Any]]:
    return lambda t: order([(t.espresso, "1")], [(t.cash, amount)])


def _quantity(quantity: Any) -> Callable[[Till], dict[str, Any]]:
    return lambda t: order([(t.espresso, quantity)], [(t.cash, "2.20")])


def _line(**fields: Any) -> Callable[[Till], dict[str, Any]]:
    def make(t: Till) -> dict[str, Any]:
        body = order([(t.espresso, "1")], [(t.cash, "2.20")])
        body["lines"][0].update(fields)
        return body

    return make


def _field(**fields: Any) -> Callable[[Till], dict[str, Any]]:
    def make(t: Till) -> dict[str, Any]:
        body = order([(t.espresso, "1")], [(t.cash, "2.20")])
        body.update(fields)
        return body

    return make


def _without(key: str) -> Callable[[Till], dict[str, Any]]:
    def make(t: Till) -> dict[str, Any]:
        body = order([(t.espresso, "1")], [(t.cash, "2.20")])
        del body[key]
        return body

    return make


VALIDATION = (422, "validation_error")

# name: (payload maker, (status, code), loc of the error below ["body", "orders", index])
BAD_ORDERS: dict[str, tuple[Callable[[Till], Any], tuple[int, str], list[Any] | None]] = {
    "amount abc": (_payment("abc"), VALIDATION, ["payments", 0, "amount"]),
    "amount 1e999": (_payment("1e999"), VALIDATION, ["payments", 0, "amount"]),
    "amount -0": (_payment("-0"), VALIDATION, ["payments", 0, "amount"]),
    "amount -0.00": (_payment("-0.00"), VALIDATION, ["payments", 0, "amount"]),
    "amount NaN": (_payment("NaN"), VALIDATION, ["payments", 0, "amount"]),
    "amount Infinity": (_payment("Infinity"), VALIDATION, ["payments", 0, "amount"]),
    "amount 1.234": (_payment("1.234"), VALIDATION, ["payments", 0, "amount"]),
    "amount 2,20": (_payment("2,20"), VALIDATION, ["payments", 0, "amount"]),
    "amount JSON float": (_payment(2.2), VALIDATION, ["payments", 0, "amount"]),
    "amount JSON integer": (_payment(2), VALIDATION, ["payments", 0, "amount"]),
    "amount null": (_payment(None), VALIDATION, ["payments", 0, "amount"]),
    "amount zero": (_payment("0.00"), VALIDATION, ["payments", 0, "amount"]),
    "quantity abc": (_quantity("abc"), VALIDATION, ["lines", 0, "quantity"]),
    "quantity 1e999": (_quantity("1e999"), VALIDATION, ["lines", 0, "quantity"]),
    "quantity -0": (_quantity("-0"), VALIDATION, ["lines", 0, "quantity"]),
    "quantity zero": (_quantity("0.000"), VALIDATION, ["lines", 0, "quantity"]),
    "quantity 4 decimals": (_quantity("1.2345"), VALIDATION, ["lines", 0, "quantity"]),
    "quantity JSON number": (_quantity(1), VALIDATION, ["lines", 0, "quantity"]),
    "quantity huge": (_quantity("9999999999999.999"), VALIDATION, ["lines", 0, "quantity"]),
    "unit_price negative": (_line(unit_price="-2.20"), VALIDATION, ["lines", 0, "unit_price"]),
    "unit_price 1.234": (_line(unit_price="1.234"), VALIDATION, ["lines", 0, "unit_price"]),
    "unit_price JSON number": (_line(unit_price=2.2), VALIDATION, ["lines", 0, "unit_price"]),
    "unit_price huge": (
        _line(unit_price="9999999999999.99"),
        VALIDATION,
        ["lines", 0, "unit_price"],
    ),
    "discount over 100": (
        _line(discount_percent="100.01"),
        VALIDATION,
        ["lines", 0, "discount_percent"],
    ),
    "discount negative": (
        _line(discount_percent="-5"),
        VALIDATION,
        ["lines", 0, "discount_percent"],
    ),
    "line unknown field": (_line(price="2.20"), VALIDATION, ["lines", 0, "price"]),
    "product as string": (_line(product="1"), VALIDATION, ["lines", 0, "product"]),
    "product zero": (_line(product=0), VALIDATION, ["lines", 0, "product"]),
    "product true": (_line(product=True), VALIDATION, ["lines", 0, "product"]),
    "product beyond 64 bits": (_line(product=2**70), VALIDATION, ["lines", 0, "product"]),
    "unknown product": (
        _line(product=987654),
        (422, "unknown_product"),
        ["lines", 0, "product"],
    ),
    "unknown payment method": (
        lambda t: order([(t.espresso, "1")], [(987654, "2.20")]),
        (422, "unknown_payment_method"),
        ["payments", 0, "payment_method"],
    ),
    "payment method of another till": (
        lambda t: order([(t.espresso, "1")], [(t.shop["cash1"].pk, "2.20")]),
        (422, "unknown_payment_method"),
        ["payments", 0, "payment_method"],
    ),
    "unknown customer": (_field(customer=987654), (422, "unknown_customer"), None),
    "customer beyond 64 bits": (_field(customer=2**64), VALIDATION, ["customer"]),
    "customer as string": (_field(customer="Café De Hoek"), VALIDATION, ["customer"]),
    "payments short": (_payment("2.00"), (422, "payment_mismatch"), None),
    "payments over": (_payment("3.00"), (422, "payment_mismatch"), None),
    "no payments for a paid order": (
        lambda t: order([(t.espresso, "1")], []),
        (422, "payment_mismatch"),
        None,
    ),
    "refund paid with a positive amount": (
        lambda t: order([(t.espresso, "-1")], [(t.cash, "2.20")]),
        (422, "payment_mismatch"),
        None,
    ),
    "draft with payments": (_field(state="draft"), VALIDATION, ["payments"]),
    "unknown state": (_field(state="refunded"), VALIDATION, ["state"]),
    "empty lines": (_field(lines=[]), VALIDATION, ["lines"]),
    "no lines": (_without("lines"), VALIDATION, ["lines"]),
    "lines not a list": (_field(lines={"product": 1}), VALIDATION, ["lines"]),
    "line not an object": (_field(lines=["espresso"]), VALIDATION, ["lines", 0]),
    "too many lines": (
        lambda t: order([(t.espresso, "1")] * 501, [(t.cash, "1102.20")]),
        VALIDATION,
        ["lines"],
    ),
    "too many payments": (
        lambda t: order([(t.espresso, "21")], [(t.cash, "2.20")] * 21),
        VALIDATION,
        ["payments"],
    ),
    "payments not a list": (_field(payments={"amount": "2.20"}), VALIDATION, ["payments"]),
    "payment unknown field": (
        lambda t: {
            **order([(t.espresso, "1")]),
            "payments": [{"payment_method": t.cash, "amount": "2.20", "tip": "1.00"}],
        },
        VALIDATION,
        ["payments", 0, "tip"],
    ),
    "wrong uuid": (_field(uuid="not-a-uuid"), VALIDATION, ["uuid"]),
    "uuid as number": (_field(uuid=12345), VALIDATION, ["uuid"]),
    "no uuid": (_without("uuid"), VALIDATION, ["uuid"]),
    "created_at without offset": (
        _field(created_at="2026-11-21T10:02:03"),
        VALIDATION,
        ["created_at"],
    ),
    "created_at not a time": (_field(created_at="yesterday"), VALIDATION, ["created_at"]),
    "created_at before year 1 in UTC": (
        _field(created_at="0001-01-01T00:00:00+01:00"),
        VALIDATION,
        ["created_at"],
    ),
    "created_at after year 9999 in UTC": (
        _field(created_at="9999-12-31T23:59:59-01:00"),
        VALIDATION,
        ["created_at"],
    ),
    "to_invoice not a boolean": (_field(to_invoice="yes"), VALIDATION, ["to_invoice"]),
    "order unknown field": (_field(discount="10"), VALIDATION, ["discount"]),
    "order is a string": (lambda t: "espresso", VALIDATION, []),
    "order is null": (lambda t: None, VALIDATION, []),
    "order is a list": (lambda t: [t.good()], VALIDATION, []),
}

# What no terminal could have sent (not an object, no uuid, a JSON value of the wrong type, a
# required field missing, a number that is no id): rejected. Every other bad order is a
# well-formed ticket the till may have taken money for: held for a manager, never dropped.
REJECTED = {
    "amount JSON float",
    "amount JSON integer",
    "amount null",
    "quantity JSON number",
    "unit_price JSON number",
    "product as string",
    "product zero",
    "product true",
    "product beyond 64 bits",
    "customer beyond 64 bits",
    "customer as string",
    "no lines",
    "lines not a list",
    "line not an object",
    "payments not a list",
    "wrong uuid",
    "uuid as number",
    "no uuid",
    "to_invoice not a boolean",
    "order is a string",
    "order is null",
    "order is a list",
}
assert REJECTED < set(BAD_ORDERS)


@pytest.mark.parametrize("case", list(BAD_ORDERS), ids=lambda name: name.replace(" ", "-"))
def test_a_bad_order_is_rejected_or_held_and_the_others_are_created(till, case):
    make, (status, code), loc = BAD_ORDERS[case]
    outcome = "rejected" if case in REJECTED else "held"
    bad = make(till)
    first, last = till.good(), till.good()
    before = Rows.now()

    response = till.post_orders({"orders": [first, bad, last]})

    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", outcome, "created"]
    assert [r["uuid"] for r in results[::2]] == [first["uuid"], last["uuid"]]
    refused = results[1]
    sent_uuid = bad.get("uuid") if isinstance(bad, dict) else None
    assert refused["uuid"] == (sent_uuid if isinstance(sent_uuid, str) else None)
    assert refused["session"] == (till.session if outcome == "held" else None)
    assert refused["order"] is None
    assert_problem_document(refused["error"], status, code)
    if loc is not None:
        # The error names the field, below the order's own index in the batch.
        locs = [e["loc"] for e in refused["error"].get("errors", [])]
        assert ["body", "orders", 1, *loc] in locs, locs
    # Only the two good orders were stored: one line and one payment each, and one
    # financial transaction for the batch's cash payments.
    assert Rows.now() - before == (2, 2, 2, 1)
    if sent_uuid is not None:
        assert_not_stored(sent_uuid)
    assert Order.objects.filter(uuid__in=[first["uuid"], last["uuid"]]).count() == 2
    # A held order is kept whole, with the same problem document, waiting for a manager.
    held = list(HeldOrder.objects.values_list("uuid", "payload", "error", "state", "session_id"))
    if outcome == "held":
        assert [(str(u), p, e, s, sid) for u, p, e, s, sid in held] == [
            (sent_uuid, bad, refused["error"], "held", till.session)
        ]
    else:
        assert held == []


def test_payment_mismatch_says_what_is_due(till):
    results = sync(till.api, till.session, order([(till.espresso, "2")], [(till.cash, "4.00")]))
    error = results[0]["error"]
    assert_problem_document(error, 422, "payment_mismatch")
    assert (error["amount_due"], error["paid"]) == ("4.40", "4.00")


def test_every_error_of_an_order_is_listed(till):
    bad = {
        "uuid": "nope",
        "state": "paid",
        "lines": [{"product": till.espresso, "quantity": "1e3", "unit_price": 3}],
        "payments": [{"payment_method": till.cash, "amount": "-0"}],
    }
    (result,) = sync(till.api, till.session, bad)
    locs = [e["loc"] for e in result["error"]["errors"]]
    assert locs == [
        ["body", "orders", 0, "uuid"],
        ["body", "orders", 0, "lines", 0, "quantity"],
        ["body", "orders", 0, "lines", 0, "unit_price"],
        ["body", "orders", 0, "payments", 0, "amount"],
    ]
    assert all(e["msg"] for e in result["error"]["errors"])


def test_errors_point_at_the_order_index_in_a_long_batch(till):
    orders = [till.good() for _ in range(5)]
    orders[3]["payments"] = [
        {"payment_method": till.cash, "amount": "2.20"},
        {"payment_method": till.cash, "amount": "abc"},
    ]
    results = sync(till.api, till.session, *orders)
    assert [r["status"] for r in results] == ["created"] * 3 + ["held", "created"]
    assert results[3]["error"]["errors"][0]["loc"] == ["body", "orders", 3, "payments", 1, "amount"]


# --- a bad request: a problem document for the whole request, nothing stored ---------------


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        '{"orders": [',
        "not json",
        "{'orders': []}",
        '{"orders": [}',
        "[" * 100_000,
    ],
    ids=["open-brace", "unterminated", "text", "single-quotes", "bad-array", "deep-nesting"],
)
def test_malformed_json_body_is_400(till, raw):
    before = Rows.now()
    assert_problem(till.post_orders(raw=raw), 400, "malformed_request")
    assert Rows.now() == before


@pytest.mark.parametrize(
    "raw",
    ["", "null", "[]", '"orders"', "42", "{}", '{"orders": "x"}', '{"orders": null}'],
    ids=["empty", "null", "array", "string", "number", "no-orders", "orders-string", "orders-null"],
)
def test_missing_or_wrong_body_is_422(till, raw):
    before = Rows.now()
    body = assert_problem(till.post_orders(raw=raw), 422, "validation_error")
    assert body["errors"]
    assert Rows.now() == before


def test_too_big_a_batch_is_refused_whole(till):
    before = Rows.now()
    response = till.post_orders({"orders": [till.good() for _ in range(1001)]})
    assert_problem(response, 422, "validation_error")
    assert Rows.now() == before


def test_empty_batch_is_fine(till):
    assert sync(till.api, till.session) == []


def test_unknown_session_is_404(till):
    before = Rows.now()
    for session_id in (987654, 2**70):
        response = till.api.post(f"/sessions/{session_id}/orders", {"orders": [till.good()]})
        assert_problem(response, 404, "not_found")
    # A session id that is not a number is a validation error of the path.
    assert_problem(till.api.post("/sessions/abc/orders", {"orders": []}), 422, "validation_error")
    assert_problem(till.api.get("/sessions/987654"), 404, "not_found")
    assert_problem(till.api.post("/sessions/987654/open", {"counts": []}), 404, "not_found")
    assert_problem(till.api.post("/profiles/987654/sessions"), 404, "not_found")
    assert_problem(till.api.get("/no/such/endpoint"), 404, "not_found")
    assert Rows.now() == before


def test_orders_for_another_cashiers_session_are_403(till, api_as):
    before = Rows.now()
    good = till.good()
    response = api_as("bob").post(f"/sessions/{till.session}/orders", {"orders": [good]})
    assert_problem(response, 403, "not_session_owner")
    assert Rows.now() == before
    assert_not_stored(good["uuid"])


def test_no_or_bad_token_is_401(till):
    for api in (Api(None), Api("not-a-token")):
        response = api.post(f"/sessions/{till.session}/orders", {"orders": [till.good()]})
        assert_problem(response, 401, "unauthorized")
        assert_problem(api.get("/profiles"), 401, "unauthorized")
    assert Order.objects.count() == 0


def test_syncing_to_a_session_in_opening_control_is_409(api_as, shop):
    alice = api_as("alice")
    created = alice.post(f"/profiles/{shop['till1'].pk}/sessions")
    session = created.json()
    assert session["state"] == "opening_control"
    before = Rows.now()
    good = order([(shop["espresso"].pk, "1")], [(shop["cash1"].pk, "2.20")])
    response = alice.post(f"/sessions/{session['id']}/orders", {"orders": [good]})
    body = assert_problem(response, 409, "invalid_state")
    assert body["state"] == "opening_control"
    assert Rows.now() == before
    assert_not_stored(good["uuid"])


# --- voiding ------------------------------------------------------------------------------


def test_voiding_a_paid_order_is_409(till):
    paid = till.good()
    sync(till.api, till.session, paid)
    response = till.api.post(f"/orders/{paid['uuid']}/void", {"reason": "oops"})
    assert_problem(response, 409, "invalid_state")
    stored = Order.objects.get(uuid=paid["uuid"])
    assert stored.state == "paid"
    assert stored.void_reason == ""


def test_voiding_an_unknown_order_is_404(till):
    assert_problem(till.api.post(f"/orders/{new_uuid()}/void", {"reason": "x"}), 404, "not_found")
    assert_problem(till.api.post("/orders/not-a-uuid/void", {"reason": "x"}), 404, "not_found")


def test_voiding_another_cashiers_draft_is_403(till, api_as):
    draft = order([(till.espresso, "1")], state="draft")
    sync(till.api, till.session, draft)
    response = api_as("bob").post(f"/orders/{draft['uuid']}/void", {"reason": "mine now"})
    assert_problem(response, 403, "not_session_owner")
    assert Order.objects.get(uuid=draft["uuid"]).state == "draft"


def test_void_with_a_bad_body(till):
    draft = order([(till.espresso, "1")], state="draft")
    sync(till.api, till.session, draft)
    assert_problem(
        till.api.post(f"/orders/{draft['uuid']}/void", raw="{"), 400, "malformed_request"
    )
    response = till.api.post(f"/orders/{draft['uuid']}/void", {"reason": "x" * 256})
    assert_problem(response, 422, "validation_error")
    response = till.api.post(f"/orders/{draft['uuid']}/void", {"reason": 12})
    assert_problem(response, 422, "validation_error")
    assert Order.objects.get(uuid=draft["uuid"]).state == "draft"


# --- bad counts when opening a session -------------------------------------------------------


def _cash(**fields: Any) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    return lambda shop: [{"payment_method": shop["cash1"].pk, **fields}]


BAD_COUNTS: dict[str, tuple[Callable[[dict[str, Any]], Any], tuple[int, str]]] = {
    "negative amount": (_cash(amount="-5.00"), VALIDATION),
    "amount abc": (_cash(amount="abc"), VALIDATION),
    "amount 1e999": (_cash(amount="1e999"), VALIDATION),
    "amount -0": (_cash(amount="-0"), VALIDATION),
    "amount 1.234": (_cash(amount="1.234"), VALIDATION),
    "amount JSON number": (_cash(amount=50), VALIDATION),
    "no amount nor denominations": (_cash(), (422, "count_missing")),
    "unknown denomination value": (
        _cash(denominations=[{"value": "0.03", "quantity": 1}]),
        VALIDATION,
    ),
    "negative denomination value": (
        _cash(denominations=[{"value": "-1.00", "quantity": 1}]),
        VALIDATION,
    ),
    "negative denomination quantity": (
        _cash(denominations=[{"value": "1.00", "quantity": -1}]),
        VALIDATION,
    ),
    "fractional denomination quantity": (
        _cash(denominations=[{"value": "1.00", "quantity": 1.5}]),
        VALIDATION,
    ),
    "denominations disagree with the amount": (
        _cash(amount="10.00", denominations=[{"value": "5.00", "quantity": 1}]),
        VALIDATION,
    ),
    "non-countable method": (
        lambda shop: [
            {"payment_method": shop["cash1"].pk, "amount": "0.00"},
            {"payment_method": shop["card1"].pk, "amount": "0.00"},
        ],
        VALIDATION,
    ),
    "counted twice": (
        lambda shop: [
            {"payment_method": shop["cash1"].pk, "amount": "0.00"},
            {"payment_method": shop["cash1"].pk, "amount": "1.00"},
        ],
        VALIDATION,
    ),
    "method of another till": (
        lambda shop: [{"payment_method": shop["cash2"].pk, "amount": "0.00"}],
        (422, "unknown_payment_method"),
    ),
    "unknown method": (
        lambda shop: [{"payment_method": 987654, "amount": "0.00"}],
        (422, "unknown_payment_method"),
    ),
    "method beyond 64 bits": (
        lambda shop: [{"payment_method": 2**70, "amount": "0.00"}],
        (422, "unknown_payment_method"),
    ),
    "missing cash count": (lambda shop: [], (422, "count_missing")),
    "counts not a list": (lambda shop: {"payment_method": shop["cash1"].pk}, VALIDATION),
}


@pytest.mark.parametrize("case", list(BAD_COUNTS), ids=lambda name: name.replace(" ", "-"))
def test_bad_counts_at_opening(api_as, shop, case):
    make, (status, code) = BAD_COUNTS[case]
    alice = api_as("alice")
    session = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    transactions = FinancialTransaction.objects.count()

    response = alice.post(f"/sessions/{session['id']}/open", {"counts": make(shop), "notes": ""})

    assert_problem(response, status, code)
    assert Session.objects.get(pk=session["id"]).state == "opening_control"
    assert not SessionCount.objects.filter(session_id=session["id"]).exists()
    assert FinancialTransaction.objects.count() == transactions
    # The cashier can still open it with a good count.
    opened = alice.post(
        f"/sessions/{session['id']}/open",
        {"counts": [{"payment_method": shop["cash1"].pk, "amount": "0.00"}]},
    )
    assert opened.status_code == 200, opened.content


def test_opening_twice_is_409(api_as, shop):
    alice = api_as("alice")
    session = open_session(alice, shop["till2"].pk)
    response = alice.post(f"/sessions/{session['id']}/open", {"counts": []})
    assert_problem(response, 409, "invalid_state")


def test_malformed_opening_body_is_400(api_as, shop):
    alice = api_as("alice")
    session = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    assert_problem(alice.post(f"/sessions/{session['id']}/open", raw="{"), 400, "malformed_request")
    assert Session.objects.get(pk=session["id"]).state == "opening_control"


# --- never a 500 --------------------------------------------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
_money_like = st.one_of(
    st.sampled_from(["2.20", "-2.20", "0", "-0", "1e999", "NaN", "1.234", "", "9" * 30]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    _json,
)


def _fuzzed_order(ids: list[int]) -> st.SearchStrategy[Any]:
    ref = st.one_of(st.sampled_from(ids), _json)
    line = st.fixed_dictionaries(
        {"product": ref, "quantity": _money_like},
        optional={"unit_price": _money_like, "discount_percent": _money_like, "extra": _json},
    )
    payment = st.fixed_dictionaries({"payment_method": ref, "amount": _money_like})
    return st.one_of(
        _json,
        st.fixed_dictionaries(
            {
                "uuid": st.one_of(st.uuids().map(str), _json),
                "lines": st.one_of(st.lists(line, max_size=3), _json),
            },
            optional={
                "payments": st.one_of(st.lists(payment, max_size=3), _json),
                "state": st.one_of(st.sampled_from(["paid", "draft"]), _json),
                "customer": ref,
                "created_at": st.one_of(st.datetimes().map(str), _json),
                "to_invoice": _json,
            },
        ),
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.slow
@given(data=st.data())
def test_fuzzed_orders_never_give_a_500(till, data):
    with rolled_back():
        ids = [till.espresso, till.cash, till.card, till.shop["mug"].pk]
        orders = data.draw(st.lists(_fuzzed_order(ids), max_size=4))
        response = till.post_orders({"orders": orders})
        assert response.status_code == 200, response.content
        results = response.json()["results"]
        assert len(results) == len(orders)
        for result in results:
            assert result["status"] in ("created", "duplicate", "held", "rejected")
            if result["status"] in ("held", "rejected"):
                assert 400 <= result["error"]["status"] < 500
            if result["status"] == "held":
                assert result["session"] == till.session
                assert HeldOrder.objects.filter(uuid=result["uuid"], state="held").exists()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.slow
@given(body=_json)
def test_fuzzed_bodies_never_give_a_500(till, body):
    with rolled_back():
        for path in (f"/sessions/{till.session}/orders", f"/sessions/{till.session}/open"):
            response = till.api.post(path, raw=json.dumps(body))
            assert response.status_code < 500, response.content


# --- text with a NUL character -------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["a\x00b", "ring\x07", "esc\x1b[2J", "two\nlines"])
def test_control_characters_in_a_void_reason_are_refused_at_the_door(till, reason):
    draft = order([(till.espresso, "1")], state="draft")
    sync(till.api, till.session, draft)
    response = till.api.post(f"/orders/{draft['uuid']}/void", {"reason": reason})
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["loc"][-1] == "reason"
    assert "control character" in body["detail"]
    assert Order.objects.get(uuid=draft["uuid"]).state == "draft"


@pytest.mark.parametrize("notes", ["\x00", "bell\x07", "\x7f"])
def test_control_characters_in_opening_notes_are_refused_at_the_door(api_as, shop, notes):
    alice = api_as("alice")
    session = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    response = alice.post(
        f"/sessions/{session['id']}/open",
        {"counts": [{"payment_method": shop["cash1"].pk, "amount": "0.00"}], "notes": notes},
    )
    assert_problem(response, 422, "validation_error")
    assert Session.objects.get(pk=session["id"]).state == "opening_control"


def test_notes_may_span_lines_with_tabs(api_as, shop):
    alice = api_as("alice")
    session = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    response = alice.post(
        f"/sessions/{session['id']}/open",
        {
            "counts": [{"payment_method": shop["cash1"].pk, "amount": "0.00"}],
            "notes": "float checked\r\n\tby Bob",
        },
    )
    assert response.status_code == 200, response.content
    assert Session.objects.get(pk=session["id"]).opening_notes == "float checked\r\n\tby Bob"


def test_control_characters_in_a_cash_move_reason_are_refused(till):
    response = till.api.post(
        f"/sessions/{till.session}/cash-moves",
        {"kind": "drop", "payment_method": till.cash, "amount": "1.00", "reason": "x\x07"},
    )
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["loc"][-1] == "reason"


def test_nul_in_a_username_is_not_a_500(shop):
    response = Api(None).post("/auth/token", {"username": "alice\x00", "password": "demo"})
    assert response.status_code in (401, 422), response.content


def test_nul_in_a_query_filter_is_not_a_500(api_as, shop):
    response = api_as("manager").get("/sessions", user="alice\x00")
    assert response.status_code < 500, response.content


# --- the OpenAPI document lists the contract ------------------------------------------------

API_MD_PATHS = [
    ("post", "/auth/token"),
    ("get", "/profiles"),
    ("get", "/profiles/{}/catalog"),
    ("post", "/profiles/{}/sessions"),
    ("post", "/sessions/{}/open"),
    ("get", "/sessions"),
    ("get", "/sessions/{}"),
    ("post", "/sessions/{}/orders"),
    ("post", "/orders/{}/void"),
    ("post", "/sessions/{}/cash-moves"),
    ("get", "/profiles/{}/cash-move-destinations"),
    ("get", "/sessions/{}/closing"),
    ("post", "/sessions/{}/close"),
    ("post", "/sessions/{}/validate-closing"),
    ("post", "/sessions/{}/force-close"),
    ("post", "/sessions/{}/partial-close"),
    ("get", "/sessions/{}/report"),
    ("get", "/sessions/{}/journal-entries"),
    ("get", "/sessions/{}/invoices"),
    ("get", "/financial-accounts"),
    ("get", "/sessions/{}/held-orders"),
    ("post", "/held-orders/{}/resolve"),
]


@functools.cache
def _openapi_operations() -> set[tuple[str, str]]:
    response = Api(None).client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    return {
        (method, re.sub(r"\{[^}]*\}", "{}", path.removeprefix("/api/v1")))
        for path, operations in paths.items()
        for method in operations
    }


def test_openapi_document_is_served_without_login(db):
    response = Api(None).client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["version"] == "1"


@pytest.mark.parametrize(
    ("method", "path"), API_MD_PATHS, ids=[f"{m} {p}" for m, p in API_MD_PATHS]
)
def test_openapi_lists_the_api_md_paths(db, method, path):
    assert (method, path) in _openapi_operations()


# --- integers beyond what a database column holds --------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"offset": "99999999999999999999"},
        {"offset": "9223372036854775808"},
        {"profile": "99999999999999999999"},
        {"profile": "0"},
        {"limit": "99999999999999999999"},
    ],
)
def test_huge_list_parameters_are_422_not_500(api_as, shop, query):
    response = api_as("manager").get("/sessions", **query)
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["loc"][-1] == next(iter(query))


def test_the_largest_offset_is_an_empty_page(api_as, shop):
    response = api_as("manager").get("/sessions", offset="1000000000")
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_the_stored_money_check_sees_a_payment_transaction_without_payments(shop):
    # The check assert_not_stored relies on is not vacuous: one stray payment transaction
    # (money of an order that was not stored) makes it fail.
    from decimal import Decimal

    from opentill.accounting.models import FinancialTransaction

    assert_payments_match_transactions()
    FinancialTransaction.objects.create(
        account=shop["cash1"].financial_account,
        kind=FinancialTransaction.Kind.PAYMENT,
        amount=Decimal("2.20"),
    )
    with pytest.raises(AssertionError):
        assert_payments_match_transactions()
