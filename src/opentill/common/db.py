"""Fast writes for hot paths: rows of ready database values, sent with executemany, or
with ``COPY`` on PostgreSQL for many rows.

The ORM's bulk_create spends most of its time preparing each value of each object; the
order sync prepares its rows itself (money already in minor units) and sends them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

#: From this many rows PostgreSQL gets them by ``COPY`` (psycopg's ``cursor.copy``): one
#: stream instead of a statement per row (a 500-order sync's lines, taxes and records).
COPY_FROM = 50


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT ``rows`` (database-ready values in ``fields`` order) into ``model``'s table
    (on PostgreSQL by ``COPY`` from :data:`COPY_FROM` rows: the same rows, defaults and
    constraints, triggers included)."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(_field(model, name).column)) for name in fields)
    table = quote(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(rows))


def db_value(model: type[models.Model], field: str, value: Any) -> Any:
    """``value`` as the database stores ``model.field`` (UUIDs, times…)."""
    return _field(model, field).get_db_prep_value(value, connection, prepared=False)


def _field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return field
