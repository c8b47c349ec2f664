"""Wire schemas of the point of sale that other contexts' API answers embed."""

from __future__ import annotations

from ninja import Schema


class PaymentMethodOut(Schema):
    id: int
    name: str
    kind: str
    countable: bool
