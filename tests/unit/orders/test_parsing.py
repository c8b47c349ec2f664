"""opentill.orders.parsing: one order of a sync batch → typed input, or the error it gives.

Pure: no database. A shape error (what no terminal could send) is a ``validation_error``
Problem and the order is rejected; a content error (a well-formed order whose values cannot
be taken as sent) is an OrderContentError and the order is held. Every bad field is named,
below ``["body", "orders", index]``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from opentill.common.problems import Problem
from opentill.orders.parsing import (
    LineIn,
    OrderContentError,
    OrderIn,
    PaymentIn,
    order_uuid_of,
    parse_order,
    payload_storable,
    where,
)

D = Decimal
UUID = "6f1c8a52-3d4b-4c1e-9f2a-7b8c9d0e1f23"


def ticket(**changes: Any) -> dict[str, Any]:
    """A valid paid ticket: 2 espressos at the catalog price, a mug at 9.90 less 10 %."""
    body: dict[str, Any] = {
        "uuid": UUID,
        "created_at": "2026-11-21T10:02:03+01:00",
        "lines": [
            {"product": 1, "quantity": "2"},
            {"product": 11, "quantity": "1", "unit_price": "9.90", "discount_percent": "10"},
        ],
        "payments": [{"payment_method": 3, "amount": "13.31"}],
    }
    body.update(changes)
    return body


def line(**changes: Any) -> dict[str, Any]:
    return {"product": 1, "quantity": "1", **changes}


def shape_error(payload: Any, index: int = 0) -> Problem:
    with pytest.raises(Problem) as caught:
        parse_order(payload, index=index)
    assert not isinstance(caught.value, OrderContentError), caught.value.detail
    assert caught.value.code == "validation_error"
    assert caught.value.status == 422
    return caught.value


def content_error(payload: Any, index: int = 0) -> OrderContentError:
    with pytest.raises(OrderContentError) as caught:
        parse_order(payload, index=index)
    assert caught.value.code == "validation_error"
    return caught.value


def errors_of(problem: Problem) -> list[tuple[list[Any], str]]:
    return [(e["loc"], e["msg"]) for e in problem.errors or []]


# --- a valid order -------------------------------------------------------------------------


def test_a_valid_paid_ticket_reads_into_typed_input():
    parsed = parse_order(ticket())
    assert parsed == OrderIn(
        uuid=uuid.UUID(UUID),
        created_at=datetime(2026, 11, 21, 9, 2, 3, tzinfo=UTC),
        state="paid",
        customer_id=None,
        to_invoice=False,
        lines=(
            LineIn(product_id=1, quantity=D("2.000"), unit_price=None, discount_percent=D(0)),
            LineIn(
                product_id=11,
                quantity=D("1.000"),
                unit_price=D("9.90"),
                discount_percent=D("10.0000"),
            ),
        ),
        payments=(PaymentIn(payment_method_id=3, amount=D("13.31")),),
    )
    # Quantities keep three decimals, rates four, amounts two: exactly as the server stores.
    assert str(parsed.lines[0].quantity) == "2.000"
    assert str(parsed.lines[1].discount_percent) == "10.0000"
    assert parsed.created_at is not None
    assert parsed.created_at.utcoffset() == timedelta(hours=1)


def test_defaults_and_optional_fields():
    parsed = parse_order(
        {"uuid": UUID, "lines": [line(quantity="-0.5")], "customer": 7, "to_invoice": True}
    )
    assert parsed.created_at is None
    assert parsed.state == "paid"
    assert parsed.customer_id == 7
    assert parsed.to_invoice is True
    assert parsed.payments == ()
    assert parsed.lines == (LineIn(1, D("-0.500"), None, D(0)),)  # a refund line


def test_a_draft_without_payments_is_valid():
    parsed = parse_order(ticket(state="draft", payments=[]))
    assert parsed.state == "draft"
    assert parsed.payments == ()


def test_a_note_and_a_total_are_accepted_and_ignored():
    parsed = parse_order(ticket(note="table 4", total="13.31"))
    assert parsed == parse_order(ticket())


def test_created_at_in_another_offset_is_kept_as_sent():
    parsed = parse_order(ticket(created_at="2026-11-21T23:30:00-05:00"))
    assert parsed.created_at == datetime(2026, 11, 21, 23, 30, tzinfo=timezone(-timedelta(hours=5)))


# --- shape errors: rejected ----------------------------------------------------------------


@pytest.mark.parametrize("payload", [[], "order", 12, None, True])
def test_not_an_object(payload):
    problem = shape_error(payload, index=3)
    assert problem.detail == "An order must be a JSON object."
    assert errors_of(problem) == [(["body", "orders", 3], "not an object")]


@pytest.mark.parametrize("raw", [None, 12, "not-a-uuid", "", ["6f1c8a52"]])
def test_uuid_missing_or_not_a_uuid_string(raw):
    payload = (
        ticket(uuid=raw) if raw is not None else {k: v for k, v in ticket().items() if k != "uuid"}
    )
    problem = shape_error(payload)
    assert errors_of(problem) == [
        (["body", "orders", 0, "uuid"], "uuid is required and must be a UUID string")
    ]
    assert problem.detail == "uuid: uuid is required and must be a UUID string"


@pytest.mark.parametrize(
    ("field", "value", "loc", "msg"),
    [
        ("created_at", 1763715723, ["created_at"], "created_at must be a string (RFC 3339)"),
        ("state", 1, ["state"], "state must be a string: 'paid' or 'draft'"),
        ("customer", "7", ["customer"], "customer must be a positive integer id"),
        ("customer", 0, ["customer"], "customer must be a positive integer id"),
        ("customer", True, ["customer"], "customer must be a positive integer id"),
        ("customer", 2**63, ["customer"], "customer must be a positive integer id"),
        ("to_invoice", "yes", ["to_invoice"], "to_invoice must be true or false"),
        ("to_invoice", 1, ["to_invoice"], "to_invoice must be true or false"),
        ("lines", None, ["lines"], "lines is required and must be a list of lines"),
        ("lines", {"product": 1}, ["lines"], "lines is required and must be a list of lines"),
        ("payments", {"amount": "1.00"}, ["payments"], "payments must be a list"),
    ],
)
def test_order_field_of_the_wrong_json_type(field, value, loc, msg):
    problem = shape_error(ticket(**{field: value}), index=2)
    assert errors_of(problem) == [(["body", "orders", 2, *loc], msg)]


@pytest.mark.parametrize(
    ("bad_line", "loc", "msg"),
    [
        ("espresso", ["lines", 0], "a line must be an object"),
        (line(product="1"), ["lines", 0, "product"], "product must be a positive integer id"),
        (line(product=-4), ["lines", 0, "product"], "product must be a positive integer id"),
        (line(product=1.0), ["lines", 0, "product"], "product must be a positive integer id"),
        (line(quantity=2), ["lines", 0, "quantity"], 'quantity must be a string such as "12.30"'),
        (
            line(quantity=["2"]),
            ["lines", 0, "quantity"],
            'quantity must be a string such as "12.30"',
        ),
        (
            line(unit_price=9.9),
            ["lines", 0, "unit_price"],
            'unit_price must be a string such as "12.30"',
        ),
        (
            line(discount_percent=10),
            ["lines", 0, "discount_percent"],
            'discount_percent must be a string such as "12.30"',
        ),
    ],
)
def test_line_field_of_the_wrong_json_type(bad_line, loc, msg):
    problem = shape_error(ticket(lines=[bad_line]))
    assert errors_of(problem) == [(["body", "orders", 0, *loc], msg)]


@pytest.mark.parametrize(
    ("bad_payment", "loc", "msg"),
    [
        ("cash", ["payments", 0], "a payment must be an object"),
        (
            {"payment_method": "3", "amount": "13.31"},
            ["payments", 0, "payment_method"],
            "payment_method must be a positive integer id",
        ),
        (
            {"payment_method": 3, "amount": 13.31},
            ["payments", 0, "amount"],
            'amount must be a string such as "12.30"',
        ),
        (
            {"payment_method": 3},
            ["payments", 0, "amount"],
            'amount must be a string such as "12.30"',
        ),
    ],
)
def test_payment_field_of_the_wrong_json_type(bad_payment, loc, msg):
    problem = shape_error(ticket(payments=[bad_payment]))
    assert errors_of(problem) == [(["body", "orders", 0, *loc], msg)]


def test_one_shape_error_rejects_even_with_content_errors_beside_it():
    """A content error (an unknown state) next to a shape error (a numeric quantity): the
    order is rejected, and both are named."""
    problem = shape_error(ticket(state="refunded", lines=[line(quantity=1)]))
    assert errors_of(problem) == [
        (["body", "orders", 0, "state"], "state 'refunded' is not 'paid' or 'draft'"),
        (
            ["body", "orders", 0, "lines", 0, "quantity"],
            'quantity must be a string such as "12.30"',
        ),
    ]
    assert problem.detail == (
        "state: state 'refunded' is not 'paid' or 'draft'; "
        'line 1, quantity: quantity must be a string such as "12.30"'
    )


# --- content errors: held ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "loc", "msg"),
    [
        ({"state": "refunded"}, ["state"], "state 'refunded' is not 'paid' or 'draft'"),
        ({"colour": "red"}, ["colour"], "unknown field"),
        ({"lines": []}, ["lines"], "an order needs at least one line"),
        ({"lines": [line()] * 501}, ["lines"], "at most 500 lines per order"),
        (
            {"payments": [{"payment_method": 3, "amount": "0.01"}] * 21},
            ["payments"],
            "at most 20 payments per order",
        ),
        (
            {"state": "draft"},
            ["payments"],
            "a draft order (pending ticket) carries no payments",
        ),
        (
            {"created_at": "2026-11-21T10:02:03"},
            ["created_at"],
            "created_at needs a UTC offset (RFC 3339)",
        ),
        (
            {"created_at": "21/11/2026 10:02"},
            ["created_at"],
            "created_at must be an RFC 3339 time such as 2026-11-21T10:02:03+01:00",
        ),
        (
            # Its UTC equivalent falls before year 1: no database can store it.
            {"created_at": "0001-01-01T00:30:00+01:00"},
            ["created_at"],
            "created_at must be an RFC 3339 time such as 2026-11-21T10:02:03+01:00",
        ),
    ],
)
def test_order_content_errors_hold_the_order(changes, loc, msg):
    error = content_error(ticket(**changes), index=5)
    assert error.uuid == uuid.UUID(UUID)
    assert errors_of(error) == [(["body", "orders", 5, *loc], msg)]
    assert error.detail.startswith("This ticket cannot be booked as sent: ")


@pytest.mark.parametrize(
    ("bad_line", "field", "msg"),
    [
        (line(quantity="0"), "quantity", "quantity must not be zero"),
        (line(quantity="1.2345"), "quantity", "quantity '1.2345' has more than 3 decimals"),
        (
            line(quantity="2e3"),
            "quantity",
            "quantity '2e3' is not a decimal number such as \"12.30\"",
        ),
        (line(quantity="-0"), "quantity", "quantity '-0': negative zero is not an amount"),
        (
            line(quantity="1000000"),
            "quantity",
            "quantity 1000000 is beyond the limit: it must be below 1000000 in size",
        ),
        (
            line(quantity="-1000000"),
            "quantity",
            "quantity -1000000 is beyond the limit: it must be below 1000000 in size",
        ),
        (line(unit_price="-1.00"), "unit_price", "unit_price '-1.00' must not be negative"),
        (line(unit_price="1.999"), "unit_price", "unit_price '1.999' has more than 2 decimals"),
        (
            line(unit_price="1000000000.00"),
            "unit_price",
            "unit_price 1000000000.00 is beyond the limit: it must be below 1000000000.00",
        ),
        (
            line(discount_percent="100.5"),
            "discount_percent",
            "discount_percent must be between 0 and 100",
        ),
        (
            line(discount_percent="-5"),
            "discount_percent",
            "discount_percent '-5' must not be negative",
        ),
        (line(colour="red"), "colour", "unknown field"),
    ],
)
def test_line_content_errors_hold_the_order(bad_line, field, msg):
    error = content_error(ticket(lines=[line(), bad_line]))
    assert errors_of(error) == [(["body", "orders", 0, "lines", 1, field], msg)]
    assert error.detail == (
        f"This ticket cannot be booked as sent: line 2, {field.replace('_', ' ')}: {msg}."
    )


@pytest.mark.parametrize(
    ("amount", "msg"),
    [
        ("0.00", "amount must not be zero"),
        ("12.345", "amount '12.345' has more than 2 decimals"),
        ("12,30", "amount '12,30' is not a decimal number such as \"12.30\""),
        ("1000000000.01", "amount 1000000000.01 is beyond the limit of 1000000000.00"),
        ("-1000000000.01", "amount -1000000000.01 is beyond the limit of 1000000000.00"),
    ],
)
def test_payment_content_errors_hold_the_order(amount, msg):
    error = content_error(ticket(payments=[{"payment_method": 3, "amount": amount}]))
    assert errors_of(error) == [(["body", "orders", 0, "payments", 0, "amount"], msg)]


def test_the_bounds_themselves_are_accepted():
    parsed = parse_order(
        ticket(
            lines=[line(quantity="999999.999", unit_price="999999999.99", discount_percent="100")],
            payments=[{"payment_method": 3, "amount": "-1000000000.00"}],
        )
    )
    assert parsed.lines[0].quantity == D("999999.999")
    assert parsed.lines[0].discount_percent == D(100)
    assert parsed.payments[0].amount == D("-1000000000.00")


def test_every_bad_field_is_named_in_order():
    error = content_error(
        ticket(
            state="refunded",
            lines=[line(quantity="0"), line(unit_price="-2.00", extra=1)],
            payments=[{"payment_method": 3, "amount": "0"}],
        )
    )
    assert [e[0][3:] for e in errors_of(error)] == [
        ["state"],
        ["lines", 0, "quantity"],
        ["lines", 1, "extra"],
        ["lines", 1, "unit_price"],
        ["payments", 0, "amount"],
    ]


# --- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loc", "words"),
    [
        (["lines", 0, "quantity"], "line 1, quantity"),
        (["payments", 2, "payment_method"], "payment 3, payment method"),
        (["to_invoice"], "to invoice"),
        (["lines"], "lines"),
        ([], "the order"),
    ],
)
def test_where_names_a_field_in_plain_words(loc, words):
    assert where(loc) == words


@pytest.mark.parametrize(
    ("payload", "storable"),
    [
        ({"note": "table 4", "lines": [1, 2.5, None]}, True),
        ({"note": "nul \x00 inside"}, False),
        ({"key \x00": "value"}, False),
        ({"note": "lone \ud800 surrogate"}, False),
        ({"lines": [{"quantity": float("nan")}]}, False),
        ({"total": float("inf")}, False),
    ],
)
def test_payload_storable(payload, storable):
    assert payload_storable(payload) is storable


def test_order_uuid_of_gives_the_uuid_as_sent():
    assert order_uuid_of({"uuid": "not-a-uuid"}) == "not-a-uuid"
    assert order_uuid_of({"uuid": 12}) is None
    assert order_uuid_of(["x"]) is None


# --- tendered and change (issue #12) --------------------------------------------------------


def paid_with(*payments: dict[str, Any]) -> dict[str, Any]:
    return ticket(payments=list(payments))


def test_tendered_beyond_the_amount_is_change_given_back():
    # 17.86 paid with a 20.00 note: the drawer keeps 17.86 and gives back 2.14.
    parsed = parse_order(paid_with({"payment_method": 3, "amount": "17.86", "tendered": "20.00"}))
    assert parsed.payments == (PaymentIn(3, D("17.86"), D("2.14")),)
    assert parsed.payments[0].tendered == D("20.00")


def test_a_split_with_change_on_the_cash_part():
    # Card 5.00, then 12.86 in cash from a 20.00 note: change 20.00 − 12.86 = 7.14.
    parsed = parse_order(
        paid_with(
            {"payment_method": 4, "amount": "5.00"},
            {"payment_method": 3, "amount": "12.86", "tendered": "20.00"},
        )
    )
    assert parsed.payments == (PaymentIn(4, D("5.00"), D(0)), PaymentIn(3, D("12.86"), D("7.14")))
    assert [p.tendered for p in parsed.payments] == [D("5.00"), D("20.00")]


@pytest.mark.parametrize("tendered", [None, "13.31"])
def test_no_tendered_or_exactly_the_amount_gives_no_change(tendered):
    parsed = parse_order(paid_with({"payment_method": 3, "amount": "13.31", "tendered": tendered}))
    assert parsed.payments == (PaymentIn(3, D("13.31"), D(0)),)
    assert parsed.payments[0].tendered == D("13.31")


def test_tendered_at_the_bound_is_accepted():
    parsed = parse_order(
        paid_with({"payment_method": 3, "amount": "0.01", "tendered": "1000000000.00"})
    )
    assert parsed.payments[0].change == D("999999999.99")


@pytest.mark.parametrize(
    ("payment", "msg"),
    [
        (
            {"payment_method": 3, "amount": "-5.50", "tendered": "10.00"},
            "tendered is only for a payment the customer makes, not for a refund "
            "(a negative amount)",
        ),
        (
            {"payment_method": 3, "amount": "-5.50", "tendered": "-5.50"},
            "tendered is only for a payment the customer makes, not for a refund "
            "(a negative amount)",
        ),
        (
            {"payment_method": 3, "amount": "17.86", "tendered": "10.00"},
            "tendered 10.00 is less than the amount 17.86 it pays",
        ),
        (
            {"payment_method": 3, "amount": "17.86", "tendered": "17.85"},
            "tendered 17.85 is less than the amount 17.86 it pays",
        ),
        (
            {"payment_method": 3, "amount": "17.86", "tendered": "0.00"},
            "tendered must not be zero",
        ),
        (
            {"payment_method": 3, "amount": "17.86", "tendered": "-20.00"},
            "tendered '-20.00' must not be negative",
        ),
        (
            {"payment_method": 3, "amount": "17.86", "tendered": "20.001"},
            "tendered '20.001' has more than 2 decimals",
        ),
        (
            {"payment_method": 3, "amount": "17.86", "tendered": "1000000000.01"},
            "tendered 1000000000.01 is beyond the limit of 1000000000.00",
        ),
    ],
)
def test_a_tendered_that_cannot_be_taken_holds_the_order(payment, msg):
    error = content_error(paid_with(payment))
    assert errors_of(error) == [(["body", "orders", 0, "payments", 0, "tendered"], msg)]
    assert error.detail == f"This ticket cannot be booked as sent: payment 1, tendered: {msg}."


def test_a_tendered_that_is_not_a_string_is_a_shape_error():
    problem = shape_error(paid_with({"payment_method": 3, "amount": "17.86", "tendered": 20}))
    assert errors_of(problem) == [
        (
            ["body", "orders", 0, "payments", 0, "tendered"],
            'tendered must be a string such as "12.30"',
        )
    ]


# --- the currency's decimals ----------------------------------------------------------------


def test_a_jpy_order_has_no_decimals():
    """With ``places=0`` (JPY) a price and a payment are whole yen; half a yen, a tendered
    100.50 or a price of 480.5 hold the order, each named."""
    jpy = ticket(
        lines=[line(quantity="3", unit_price="480")],
        payments=[{"payment_method": 3, "amount": "1440", "tendered": "2000"}],
    )
    parsed = parse_order(jpy, places=0)
    assert parsed.lines[0].unit_price == Decimal("480")
    assert (parsed.payments[0].amount, parsed.payments[0].change) == (Decimal(1440), Decimal(560))
    bad = ticket(
        lines=[line(quantity="3", unit_price="480.5")],
        payments=[{"payment_method": 3, "amount": "100.50", "tendered": "2000.0"}],
    )
    with pytest.raises(OrderContentError) as caught:
        parse_order(bad, places=0)
    assert errors_of(caught.value) == [
        (
            ["body", "orders", 0, "lines", 0, "unit_price"],
            "unit_price '480.5' has more than 0 decimals",
        ),
        (
            ["body", "orders", 0, "payments", 0, "amount"],
            "amount '100.50' has more than 0 decimals",
        ),
        (
            ["body", "orders", 0, "payments", 0, "tendered"],
            "tendered '2000.0' has more than 0 decimals",
        ),
    ]


def test_a_bhd_order_has_three_decimals():
    bhd = ticket(
        lines=[line(quantity="3", unit_price="1.099")],
        payments=[{"payment_method": 3, "amount": "3.295", "tendered": "5"}],
    )
    parsed = parse_order(bhd, places=3)
    assert parsed.lines[0].unit_price == Decimal("1.099")
    assert parsed.payments[0].change == Decimal("1.705")
    with pytest.raises(OrderContentError) as caught:
        parse_order(ticket(payments=[{"payment_method": 3, "amount": "3.2950"}]), places=3)
    assert errors_of(caught.value) == [
        (["body", "orders", 0, "payments", 0, "amount"], "amount '3.2950' has more than 3 decimals")
    ]
    # The same ticket in EUR: three decimals are one too many.
    assert errors_of(content_error(bhd))[0] == (
        ["body", "orders", 0, "lines", 0, "unit_price"],
        "unit_price '1.099' has more than 2 decimals",
    )


# --- the shape check's fast path ------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from opentill.orders.parsing import _plainly_well_formed, shape_errors  # noqa: E402
from opentill.orders.wire import OrderWire  # noqa: E402
from tests.conftest import examples  # noqa: E402

_json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "2", "12.30", "paid", str(uuid.uuid4()), "not a uuid"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "product"]), st.integers(), max_size=2),
)


def _maybe(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value of the right type, sometimes anything JSON has."""
    return st.one_of(good, good, good, _json_values)


_lines = st.fixed_dictionaries(
    {"product": _maybe(st.integers(min_value=1, max_value=99)), "quantity": _maybe(st.just("1"))},
    optional={
        "unit_price": _maybe(st.one_of(st.none(), st.just("2.20"))),
        "discount_percent": _maybe(st.one_of(st.none(), st.just("10"))),
        "colour": _json_values,
    },
)
_payments = st.fixed_dictionaries(
    {
        "payment_method": _maybe(st.integers(min_value=1, max_value=99)),
        "amount": _maybe(st.just("2.20")),
    },
    optional={"tendered": _maybe(st.one_of(st.none(), st.just("5.00")))},
)
_orders = st.fixed_dictionaries(
    {},
    optional={
        "uuid": _maybe(st.uuids().map(str)),
        "created_at": _maybe(st.one_of(st.none(), st.just("2026-11-21T10:02:03+01:00"))),
        "state": _maybe(st.sampled_from(["paid", "draft", "held"])),
        "customer": _maybe(st.one_of(st.none(), st.integers(min_value=1, max_value=2**63 - 1))),
        "fiscal_position": _maybe(st.one_of(st.none(), st.integers(min_value=1, max_value=9))),
        "to_invoice": _maybe(st.booleans()),
        "number": _maybe(st.one_of(st.none(), st.integers(min_value=1, max_value=2**63))),
        "lines": _maybe(st.lists(_maybe(_lines), max_size=3)),
        "payments": _maybe(st.lists(_maybe(_payments), max_size=2)),
        "note": _json_values,
    },
)


@settings(max_examples=examples(3000), deadline=None)
@given(payload=_orders)
def test_the_fast_shape_check_passes_only_what_the_wire_model_takes(payload):
    if _plainly_well_formed(payload):
        OrderWire.model_validate(payload)  # raises if the fast path let a wrong shape by
    else:
        try:
            OrderWire.model_validate(payload)
        except ValidationError:
            return
        # What it leaves to the model is taken by the model with the same (empty) errors.
        assert shape_errors(payload) == {}


def test_a_terminals_order_takes_the_fast_path():
    payload = {
        "uuid": str(uuid.uuid4()),
        "created_at": "2026-11-21T10:02:03+01:00",
        "customer": 7,
        "lines": [{"product": 1, "quantity": "2", "unit_price": "2.20"}],
        "payments": [{"payment_method": 1, "amount": "4.40", "tendered": "5.00"}],
    }
    assert _plainly_well_formed(payload)
    for key, bad in [("customer", True), ("state", None), ("lines", None), ("number", 0)]:
        assert not _plainly_well_formed({**payload, key: bad})
        assert shape_errors({**payload, key: bad})
