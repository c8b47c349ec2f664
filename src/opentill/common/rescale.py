"""Rescale stored money columns in a migration: the values are integers of ``10**-places``
of the currency's unit, and a change of scale multiplies (or divides) them all.

The columns are in protected tables (:mod:`opentill.common.protection`), and a closed
session's orders, payments and journal lines never change, except this way: on PostgreSQL
with the maintenance switch for the migration's transaction (``migrate`` runs as the tables'
owner); on SQLite ``migrate`` has lifted the triggers while migrations run and puts them back
at its end. Each row is rescaled in one ``UPDATE`` of all its money columns, so checks that
relate them (``tendered = amount + change``) hold on every row. A table with a unique
constraint over a money column (denominations: 10.00 becomes what 100.00 was) is rescaled
row by row, largest value first (smallest first backwards), so no two rows meet on the way.
"""

from __future__ import annotations

from typing import Any

from opentill.common import protection


def _maintenance(cursor: Any, postgres: bool, on: bool) -> None:
    if postgres:
        cursor.execute(f"SET LOCAL {protection.MAINTENANCE_SETTING} = '{'on' if on else 'off'}'")


def _rescale(
    app_label: str, columns: dict[str, tuple[str, ...]], factor: int, apps: Any, schema_editor: Any
) -> None:
    connection = schema_editor.connection
    q = schema_editor.quote_name
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        _maintenance(cursor, postgres, True)
        for model_name, fields in columns.items():
            model = apps.get_model(app_label, model_name)
            table = q(model._meta.db_table)
            names = [q(model._meta.get_field(f).column) for f in fields]
            unique = _unique_money_column(model, fields)
            if factor > 0:
                sets = ", ".join(f"{c} = {c} * {factor}" for c in names)
                _update(cursor, table, sets, unique and f"{q(unique)} DESC")
                continue
            divisor = -factor
            inexact = " OR ".join(f"{c} % {divisor} <> 0" for c in names)
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {inexact}")
            (count,) = cursor.fetchone()
            if count:
                raise ValueError(
                    f"{model._meta.label}: {count} row(s) hold amounts finer than the older "
                    "scale (a three-decimal currency); they cannot be migrated back"
                )
            sets = ", ".join(f"{c} = {c} / {divisor}" for c in names)
            _update(cursor, table, sets, unique and f"{q(unique)} ASC")
        _maintenance(cursor, postgres, False)


def _unique_money_column(model: Any, fields: tuple[str, ...]) -> str | None:
    """The column of one of ``fields`` that a unique constraint of ``model`` covers."""
    from django.db.models import UniqueConstraint

    groups = [tuple(c.fields) for c in model._meta.constraints if isinstance(c, UniqueConstraint)]
    groups += [tuple(g) for g in model._meta.unique_together]
    for name in fields:
        field = model._meta.get_field(name)
        if field.unique or any(name in group for group in groups):
            return str(field.column)
    return None


def _update(cursor: Any, table: str, sets: str, order: str | None) -> None:
    """``UPDATE table SET sets``: at once, or row by row in ``order``."""
    if order is None:
        cursor.execute(f"UPDATE {table} SET {sets}")
        return
    cursor.execute(f"SELECT id FROM {table} ORDER BY {order}")
    for (pk,) in cursor.fetchall():
        cursor.execute(f"UPDATE {table} SET {sets} WHERE id = %s", [pk])


def rescale_money(app_label: str, columns: dict[str, tuple[str, ...]], factor: int = 10) -> Any:
    """A ``RunPython`` multiplying the named money columns by ``factor`` (and dividing them
    back when migrating backwards, refused when a value is not a multiple of it).
    ``columns``: model name → field names."""
    from django.db import migrations

    def forward(apps: Any, schema_editor: Any) -> None:
        _rescale(app_label, columns, factor, apps, schema_editor)

    def backward(apps: Any, schema_editor: Any) -> None:
        _rescale(app_label, columns, -factor, apps, schema_editor)

    return migrations.RunPython(forward, backward)
