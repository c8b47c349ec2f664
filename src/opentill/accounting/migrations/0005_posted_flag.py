"""A ledger account remembers that lines are posted on it (``posted``, never unset), and the
trigger that keeps its code and kind reads that flag instead of the journal lines.

The trigger of 0004 read ``accounting_journalline`` from a trigger on
``accounting_ledgeraccount``; on SQLite that breaks Django's table rebuilds (a later
migration altering journal lines fails with "error in trigger … no such table"). A trigger
that reads only its own row has no such hazard. The flag is set by ``journal_entry_create``
before its lines are written (on PostgreSQL the row lock makes a concurrent change of code
or kind wait, then see the flag), and on PostgreSQL also by a trigger on journal lines, so
lines written by hand mark their account too.
"""

import importlib

from django.db import migrations, models

TRIGGER = "ledger_account_posted_keeps_code_and_kind"
MARK = "journal_line_marks_account_posted"

OLD_PG_DOWN = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON accounting_ledgeraccount;
DROP FUNCTION IF EXISTS {TRIGGER}();
"""
OLD_SQLITE_DOWN = f"DROP TRIGGER IF EXISTS {TRIGGER};"

PG_UP = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger AS $$
BEGIN
    IF OLD.posted AND (NEW.code IS DISTINCT FROM OLD.code OR NEW.kind IS DISTINCT FROM OLD.kind)
    THEN
        RAISE EXCEPTION 'ledger account % has posted journal lines: its code and kind are kept',
            OLD.code USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    NEW.posted := OLD.posted OR NEW.posted;  -- once posted, always posted
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON accounting_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION {TRIGGER}();

CREATE OR REPLACE FUNCTION {MARK}() RETURNS trigger AS $$
BEGIN
    UPDATE accounting_ledgeraccount SET posted = TRUE
    WHERE id IN (SELECT account_id FROM new_lines) AND NOT posted;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {MARK} AFTER INSERT ON accounting_journalline
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION {MARK}();
"""
PG_DOWN = f"""
DROP TRIGGER IF EXISTS {MARK} ON accounting_journalline;
DROP FUNCTION IF EXISTS {MARK}();
DROP TRIGGER IF EXISTS {TRIGGER} ON accounting_ledgeraccount;
DROP FUNCTION IF EXISTS {TRIGGER}();
"""
# No trigger on journal lines here: on SQLite it would name the accounts' table and break
# Django's rebuilds of it; journal_entry_create marks the accounts.
SQLITE_UP = f"""
CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON accounting_ledgeraccount
FOR EACH ROW WHEN OLD.posted
    AND (NEW.code IS NOT OLD.code OR NEW.kind IS NOT OLD.kind OR NOT NEW.posted)
BEGIN
    SELECT RAISE(ABORT, 'ledger account has posted journal lines: its code and kind are kept');
END;
"""
SQLITE_DOWN = f"DROP TRIGGER IF EXISTS {TRIGGER};"


def _run(schema_editor, by_vendor):  # noqa: ANN001, ANN202
    sql = by_vendor.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql, params=None)


def old_trigger_down(apps, schema_editor):  # noqa: ANN001, ANN201
    _run(schema_editor, {"postgresql": OLD_PG_DOWN, "sqlite": OLD_SQLITE_DOWN})


def old_trigger_up(apps, schema_editor):  # noqa: ANN001, ANN201
    previous = importlib.import_module(
        "opentill.accounting.migrations.0004_posted_accounts_keep_history"
    )
    previous.trigger_up(apps, schema_editor)


def mark_posted(apps, schema_editor):  # noqa: ANN001, ANN201
    LedgerAccount = apps.get_model("accounting", "LedgerAccount")
    JournalLine = apps.get_model("accounting", "JournalLine")
    LedgerAccount.objects.filter(
        models.Exists(JournalLine.objects.filter(account_id=models.OuterRef("pk")))
    ).update(posted=True)


def triggers_up(apps, schema_editor):  # noqa: ANN001, ANN201
    _run(schema_editor, {"postgresql": PG_UP, "sqlite": SQLITE_UP})


def triggers_down(apps, schema_editor):  # noqa: ANN001, ANN201
    _run(schema_editor, {"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN})


class Migration(migrations.Migration):
    dependencies = [("accounting", "0004_posted_accounts_keep_history")]

    operations = [
        # Before the rebuild of the accounts' table on SQLite (which the old trigger blocks).
        migrations.RunPython(old_trigger_down, old_trigger_up),
        migrations.AddField(
            model_name="ledgeraccount",
            name="posted",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Journal lines are posted on it: its code and kind are kept",
            ),
        ),
        migrations.RunPython(mark_posted, migrations.RunPython.noop),
        migrations.RunPython(triggers_up, triggers_down),
    ]
