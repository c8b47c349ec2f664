"""Each till's head keeps its grand totals running (issue #16): the period totals of the
sessions not closed by a Z yet and the perpetual totals of its last Z, so a Z reads them in
O(1) instead of reading its session's records back.

Heads already written get their totals from their records (``fiscal.totals.head_of``, the
rule the verifier checks a head against). The head is a protected row (it only moves
forward): the fill goes past the triggers the deliberate way, on PostgreSQL with the
maintenance switch for this transaction; on SQLite ``migrate`` has lifted the triggers while
migrations run and puts them back, with the new column, at its end.
"""

import json
from typing import Any

from django.db import migrations, models

from opentill.common import protection
from opentill.fiscal.totals import EMPTY_HEAD, SALE_KINDS, head_of, head_text
from opentill.money import currency_places


def fill_totals(apps: Any, schema_editor: Any) -> None:
    FiscalHead = apps.get_model("fiscal", "FiscalHead")
    FiscalRecord = apps.get_model("fiscal", "FiscalRecord")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {protection.MAINTENANCE_SETTING} = 'on'")
    for profile_id in FiscalHead.objects.values_list("profile_id", flat=True):
        records = FiscalRecord.objects.filter(
            profile_id=profile_id, kind__in=(*SALE_KINDS, "z")
        ).order_by("sequence")
        rows = [
            (kind, session_id, json.loads(data))
            for kind, session_id, data in records.values_list("kind", "session_id", "data")
        ]
        if not rows:
            continue
        places = currency_places(str(rows[-1][2].get("currency", "")))
        totals = head_text(head_of(rows, places))
        if totals != EMPTY_HEAD:
            FiscalHead.objects.filter(profile_id=profile_id).update(totals=totals)
    if postgres:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {protection.MAINTENANCE_SETTING} = 'off'")


class Migration(migrations.Migration):
    dependencies = [
        ("fiscal", "0003_devices"),
        protection.MIGRATION,
    ]

    operations = [
        migrations.AddField(
            model_name="fiscalhead",
            name="totals",
            field=models.TextField(
                default=EMPTY_HEAD,
                help_text="Canonical JSON: the period totals of each session not closed by a Z "
                "yet and the perpetual totals of the last Z",
            ),
        ),
        migrations.RunPython(fill_totals, migrations.RunPython.noop),
    ]
