"""Model fields that store exact decimals as integers in minor units.

SQLite has no exact decimal type (``NUMERIC`` values become floats), so money, quantities
and rates are stored as ``BIGINT`` scaled by ``10**places``; SUM() is then exact on SQLite
and PostgreSQL alike, and Python always sees ``Decimal``. Money is stored in thousandths
(:data:`opentill.money.STORED_PLACES`) whatever the currency: JPY, EUR and BHD amounts share
one exact scale; the currency's own decimals are checked where amounts are parsed and used
where they are shown.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.expressions import Combinable

from opentill.money import (
    QUANTITY_PLACES,
    RATE_PLACES,
    STORED_PLACES,
    from_minor,
    from_stored,
    to_minor,
)


class ScaledDecimalField(models.BigIntegerField):
    """A ``Decimal`` with a fixed number of decimals, stored as a scaled integer."""

    description = "Exact decimal stored as an integer in minor units"
    # The scale is in the stored values, not in the column's type: changing it alters no
    # column (a data migration rescales the values).
    non_db_attrs = (*models.BigIntegerField.non_db_attrs, "places")
    # Tell django-stubs what Python sees: a Decimal, not the stored integer.
    _pyi_private_set_type: Decimal | int | str | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: Decimal  # type: ignore[assignment]

    def __init__(self, *args: Any, places: int = STORED_PLACES, **kwargs: Any) -> None:
        self.places = places
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["places"] = self.places
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return from_minor(int(value), self.places)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        try:
            return Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationError(f"{value!r} is not a decimal number") from exc

    def get_prep_value(self, value: Any) -> int | None:
        if value is None:
            return None
        if hasattr(value, "resolve_expression"):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        if isinstance(value, float):
            raise TypeError("floats are not accepted for exact amounts")
        value = self.to_python(value)
        assert value is not None
        return to_minor(value, self.places)

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        defaults: dict[str, Any] = {
            "form_class": forms.DecimalField,
            "decimal_places": self.places,
            "max_digits": 15 + self.places,
        }
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)


class MoneyField(ScaledDecimalField):
    """An amount of money, stored in thousandths of the currency's unit (every ISO 4217
    currency has 0, 2 or 3 decimals); read with two decimals when exact, else three."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("places", STORED_PLACES)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        if self.places != STORED_PLACES:  # a historical field in an older migration
            return from_minor(int(value), self.places)
        return from_stored(int(value))


class QuantityField(ScaledDecimalField):
    """A quantity with three decimals (kg, litres, pieces)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("places", QUANTITY_PLACES)
        super().__init__(*args, **kwargs)


class RateField(ScaledDecimalField):
    """A percentage such as a tax rate or a discount, four decimals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("places", RATE_PLACES)
        super().__init__(*args, **kwargs)
