"""Fast writes for hot paths: rows of ready database values, sent with executemany.

The ORM's bulk_create spends most of its time preparing each value of each object; the
order sync prepares its rows itself (money already in minor units) and sends them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT ``rows`` (database-ready values in ``fields`` order) into ``model``'s table."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(_field(model, name).column)) for name in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


def db_value(model: type[models.Model], field: str, value: Any) -> Any:
    """``value`` as the database stores ``model.field`` (UUIDs, times…)."""
    return _field(model, field).get_db_prep_value(value, connection, prepared=False)


def _field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return field
