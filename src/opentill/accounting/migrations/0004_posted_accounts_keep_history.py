"""Past journal entries read as posted.

Each journal line keeps the label its account had when it was posted (filled here from the
current label for lines posted before), and the database refuses to change the code or the
kind of a ledger account that has posted lines (an asset must not turn into an expense
under entries already booked). The label itself may still be renamed.
"""

from django.db import migrations, models

TRIGGER = "ledger_account_posted_keeps_code_and_kind"

PG_UP = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger AS $$
BEGIN
    -- A posting in flight holds a key-share lock on the account (its foreign key check):
    -- wait for it, so the lines it commits are seen by the check below.
    PERFORM 1 FROM accounting_ledgeraccount WHERE id = OLD.id FOR UPDATE;
    IF EXISTS (SELECT 1 FROM accounting_journalline WHERE account_id = OLD.id) THEN
        RAISE EXCEPTION 'ledger account % has posted journal lines: its code and kind are kept',
            OLD.code USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF code, kind ON accounting_ledgeraccount
    FOR EACH ROW WHEN (NEW.code IS DISTINCT FROM OLD.code OR NEW.kind IS DISTINCT FROM OLD.kind)
    EXECUTE FUNCTION {TRIGGER}();
"""
PG_DOWN = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON accounting_ledgeraccount;
DROP FUNCTION IF EXISTS {TRIGGER}();
"""
SQLITE_UP = f"""
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OF code, kind ON accounting_ledgeraccount
FOR EACH ROW WHEN (NEW.code IS NOT OLD.code OR NEW.kind IS NOT OLD.kind)
    AND EXISTS (SELECT 1 FROM accounting_journalline WHERE account_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'ledger account has posted journal lines: its code and kind are kept');
END;
"""
SQLITE_DOWN = f"DROP TRIGGER IF EXISTS {TRIGGER};"


def fill_account_names(apps, schema_editor):  # noqa: ANN001, ANN201
    JournalLine = apps.get_model("accounting", "JournalLine")
    LedgerAccount = apps.get_model("accounting", "LedgerAccount")
    JournalLine.objects.update(
        account_name=models.Subquery(
            LedgerAccount.objects.filter(pk=models.OuterRef("account_id")).values("name")[:1]
        )
    )


def trigger_up(apps, schema_editor):  # noqa: ANN001, ANN201
    sql = {"postgresql": PG_UP, "sqlite": SQLITE_UP}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)


def trigger_down(apps, schema_editor):  # noqa: ANN001, ANN201
    sql = {"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounting", "0003_financial_account_store")]

    operations = [
        migrations.AddField(
            model_name="journalline",
            name="account_name",
            field=models.CharField(
                blank=True,
                help_text="The account's label when the line was posted",
                max_length=200,
            ),
        ),
        migrations.RunPython(fill_account_names, migrations.RunPython.noop),
        migrations.RunPython(trigger_up, trigger_down),
    ]
