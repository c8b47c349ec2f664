"""opentill.orders.wire: the one model of an order on the wire.

OrderWire is the shape check of parse_order: an order the model refuses is rejected (a shape
error), one it takes is booked or held (a content error), never rejected. A table of orders
and generated ones prove the two agree.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from opentill.common.problems import Problem
from opentill.orders.parsing import OrderContentError, parse_order, shape_errors
from opentill.orders.wire import OrderWire
from tests.conftest import examples
from tests.unit.orders.test_parsing import UUID, ticket


def without(field: str) -> dict[str, Any]:
    return {k: v for k, v in ticket().items() if k != field}


def line(**changes: Any) -> dict[str, Any]:
    return {"product": 1, "quantity": "1", **changes}


def outcome(payload: Any) -> str:
    """What parse_order makes of an order: booked, held (content error) or rejected (shape)."""
    try:
        parse_order(payload)
    except OrderContentError:
        return "held"
    except Problem:
        return "rejected"
    return "booked"


def model_accepts(payload: Any) -> bool:
    try:
        OrderWire.model_validate(payload)
    except ValidationError:
        return False
    return True


# Orders the model takes: parse_order books or holds them, never rejects.
SHAPED = [
    ticket(),
    ticket(state="draft", payments=[]),
    ticket(note="table 4", total="13.31"),
    ticket(note=None, total=13.31),
    ticket(note=["table", 4], total={"gross": "13.31"}),
    {"uuid": UUID, "lines": [line(quantity="-0.5")], "customer": 7, "to_invoice": True},
    ticket(customer=None, created_at=None),
    ticket(customer=2**63 - 1),
    ticket(uuid="{6f1c8a52-3d4b-4c1e-9f2a-7b8c9d0e1f23}"),
    ticket(uuid="6F1C8A523D4B4C1E9F2A7B8C9D0E1F23"),
    ticket(lines=[line(unit_price=None, discount_percent=None)]),
    ticket(payments=[{"payment_method": 3, "amount": "13.31", "tendered": "20.00"}]),
    ticket(payments=[{"payment_method": 3, "amount": "13.31", "tendered": None}]),
    # content errors: held
    ticket(state="refunded"),
    ticket(colour="red"),
    ticket(lines=[]),
    ticket(lines=[line()] * 501),
    ticket(payments=[{"payment_method": 3, "amount": "0.01"}] * 21),
    ticket(state="draft"),
    ticket(created_at="2026-11-21T10:02:03"),
    ticket(created_at="21/11/2026 10:02"),
    ticket(created_at="0001-01-01T00:30:00+01:00"),
    ticket(lines=[line(quantity="0")]),
    ticket(lines=[line(quantity="2e3")]),
    ticket(lines=[line(quantity="1000000")]),
    ticket(lines=[line(quantity="")]),
    ticket(lines=[line(unit_price="-1.00")]),
    ticket(lines=[line(discount_percent="100.5")]),
    ticket(lines=[line(colour="red")]),
    ticket(payments=[{"payment_method": 3, "amount": "12,30"}]),
    ticket(payments=[{"payment_method": 3, "amount": "1", "tip": "2"}]),
    ticket(payments=[{"payment_method": 3, "amount": "13.31", "tendered": "10.00"}]),
    ticket(payments=[{"payment_method": 3, "amount": "-13.31", "tendered": "13.31"}]),
    ticket(payments=[{"payment_method": 3, "amount": "13.31", "tendered": "20.001"}]),
]

# Orders the model refuses: parse_order rejects them.
MISSHAPEN = [
    without("uuid"),
    without("lines"),
    ticket(uuid=None),
    ticket(uuid=12),
    ticket(uuid="not-a-uuid"),
    ticket(uuid=""),
    ticket(uuid=["6f1c8a52"]),
    ticket(created_at=1763715723),
    ticket(state=1),
    ticket(state=None),
    ticket(customer="7"),
    ticket(customer=0),
    ticket(customer=True),
    ticket(customer=2**63),
    ticket(customer=7.0),
    ticket(to_invoice="yes"),
    ticket(to_invoice=1),
    ticket(to_invoice=None),
    ticket(lines=None),
    ticket(lines={"product": 1}),
    ticket(lines="espresso"),
    ticket(payments=None),
    ticket(payments={"amount": "1.00"}),
    ticket(lines=["espresso"]),
    ticket(lines=[{"quantity": "1"}]),
    ticket(lines=[{"product": 1}]),
    ticket(lines=[line(product="1")]),
    ticket(lines=[line(product=-4)]),
    ticket(lines=[line(product=1.0)]),
    ticket(lines=[line(product=False)]),
    ticket(lines=[line(quantity=2)]),
    ticket(lines=[line(quantity=["2"])]),
    ticket(lines=[line(quantity=None)]),
    ticket(lines=[line(unit_price=9.9)]),
    ticket(lines=[line(discount_percent=10)]),
    ticket(payments=["cash"]),
    ticket(payments=[{"payment_method": "3", "amount": "13.31"}]),
    ticket(payments=[{"payment_method": 3, "amount": 13.31}]),
    ticket(payments=[{"payment_method": 3}]),
    ticket(payments=[{"amount": "13.31"}]),
    ticket(payments=[{"payment_method": 3, "amount": "13.31", "tendered": 20}]),
    ticket(payments=[{"payment_method": 3, "amount": "13.31", "tendered": ["20.00"]}]),
    # a shape error beside content errors is still a shape error
    ticket(state="refunded", lines=[line(quantity=1)]),
]


@pytest.mark.parametrize("payload", SHAPED)
def test_an_order_the_model_takes_is_never_rejected(payload):
    assert model_accepts(payload)
    assert outcome(payload) in ("booked", "held")


@pytest.mark.parametrize("payload", MISSHAPEN)
def test_an_order_the_model_refuses_is_rejected(payload):
    assert not model_accepts(payload)
    assert outcome(payload) == "rejected"


@pytest.mark.parametrize("payload", MISSHAPEN)
def test_every_shape_error_of_the_model_is_named_where_it_is(payload):
    """Each field the model refuses is one error of the rejection, at the same place."""
    with pytest.raises(Problem) as caught:
        parse_order(payload, index=4)
    named = {tuple(e["loc"][3:]) for e in caught.value.errors or []}
    assert set(shape_errors(payload)) <= named
    assert all(e["loc"][:3] == ["body", "orders", 4] for e in caught.value.errors or [])


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from([UUID, "2", "-1.5", "9.90", "0", "paid", "draft", "2026-11-21T10:02:03Z"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
line_values = st.fixed_dictionaries(
    {},
    optional={
        "product": st.integers(min_value=-1, max_value=3) | json_values,
        "quantity": json_values,
        "unit_price": json_values,
        "discount_percent": json_values,
    },
)
payment_values = st.fixed_dictionaries(
    {},
    optional={
        "payment_method": st.integers(min_value=0, max_value=3),
        "amount": json_values,
        "tendered": json_values,
    },
)
orders = st.fixed_dictionaries(
    {},
    optional={
        "uuid": st.sampled_from([UUID, "x"]) | json_values,
        "created_at": json_values,
        "state": json_values,
        "customer": json_values,
        "to_invoice": json_values,
        "lines": st.lists(line_values | json_values, max_size=3) | json_values,
        "payments": st.lists(payment_values | json_values, max_size=3) | json_values,
        "note": json_values,
        "colour": json_values,
    },
)


@settings(max_examples=examples(400), deadline=None)
@given(orders)
def test_the_model_and_parse_order_agree_on_generated_orders(payload):
    assert model_accepts(payload) == (outcome(payload) != "rejected")
