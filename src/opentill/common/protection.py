"""What must never change, refused by the database itself (SQLite and PostgreSQL).

The services never change a posted record; these triggers make sure plain SQL and an
application bug cannot either. :data:`RULES` is the one list of protected tables: each is
refused UPDATE and DELETE (and TRUNCATE on PostgreSQL) except for the few named changes the
application makes, each with its reason. A refusal is a database ``IntegrityError`` whose
message starts with :data:`MARK` (the API answers it as 409 ``immutable``).

Installation reads each table's columns from the database, so a column added later is
protected once :func:`install` runs again; ``migrate`` does that at its end (see
``CommonConfig.ready``). On SQLite the triggers are lifted while migrations run, because
SQLite rebuilds a table to alter it (which drops its triggers, and fails on a trigger of
another table that names it) and they are put back when ``migrate`` finishes.

:func:`maintenance` is the deliberate way past them (the test suite's flush between
transactional tests). This stops plain SQL and application bugs, not the owner of the
tables or a database superuser, who can drop triggers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

MARK = "opentill immutable"
PREFIX = "opentill_protect_"
MAINTENANCE_SETTING = "opentill.maintenance"
# Triggers of audit/0003 that the audit rule replaces.
_LEGACY_SQLITE = ("audit_event_no_update",)
_LEGACY_PG = (("audit_event_append_only", "audit_auditevent"),)

ALL = "*"


@dataclass(frozen=True)
class Rule:
    """One protected table.

    ``changeable``: the columns the application may change (``ALL``: any), and only when
    ``change_allowed`` (SQL over ``OLD``/``NEW``, no subquery) holds; every other column
    never changes. ``delete_allowed``: SQL over ``OLD`` under which a row may be deleted.
    ``session``: how to find the row's POS session (a column, or a column of ``via``'s
    table); once that session is closed the row is neither changed nor deleted.
    ``{same}`` in the SQL stands for the null-safe equality of the engine.
    """

    model: str
    what: str
    changeable: tuple[str, ...] | str = ()
    change_allowed: str = "FALSE"
    why_changeable: str = ""
    delete_allowed: str = "FALSE"
    session: str | None = None
    via: str | None = None  # model whose row ``session`` points to; it holds session_id


RULES: tuple[Rule, ...] = (
    Rule("audit.AuditEvent", "audit events are append-only"),
    Rule("accounting.JournalEntry", "posted journal entries never change"),
    Rule("accounting.JournalLine", "posted journal lines never change"),
    Rule("accounting.Reconciliation", "reconciliations never change"),
    Rule(
        "accounting.FinancialTransaction",
        "financial transactions never change; a reconciliation only clears a pending one",
        changeable=("reconciliation_id",),
        change_allowed="OLD.reconciliation_id IS NULL",
        why_changeable="a close's reconciliation clears the pending transactions it counts",
    ),
    Rule("invoicing.Invoice", "issued invoices never change"),
    Rule(
        "orders.Order",
        "an order's figures never change; a draft may be voided and a paid order invoiced "
        "while its session is open",
        changeable=("state", "void_reason", "invoice_id"),
        change_allowed=(
            "(OLD.state = 'draft' AND NEW.state = 'void' AND OLD.invoice_id {same} NEW.invoice_id)"
            " OR (OLD.state = 'paid' AND NEW.state = 'invoiced' AND OLD.invoice_id IS NULL"
            " AND NEW.invoice_id IS NOT NULL AND OLD.void_reason {same} NEW.void_reason)"
        ),
        why_changeable="a draft is voided (by its cashier, or at a force or rescue close); "
        "a paid order is attached to its invoice at sync or at the close",
        session="session_id",
    ),
    Rule("orders.OrderLine", "order lines never change"),
    Rule("orders.OrderLineTax", "the taxes of order lines never change"),
    Rule("orders.Payment", "payments never change"),
    Rule(
        "orders.HeldOrder",
        "a held order is resolved once and what the till sent never changes",
        changeable=("state", "order_id", "resolved_by_id", "resolved_at", "resolution_reason"),
        change_allowed="OLD.state = 'held'",
        why_changeable="a manager accepts or voids a held order",
    ),
    Rule(
        "pos.Session",
        "a closed session never changes",
        changeable=(
            "state",
            "opened_at",
            "closing_started_at",
            "closed_at",
            "closed_by_id",
            "opening_notes",
            "closing_notes",
            "force_close_reason",
        ),
        change_allowed="OLD.state <> 'closed'",
        why_changeable="a session is opened, counted and closed",
        delete_allowed="OLD.state <> 'closed'",
    ),
    Rule(
        "pos.SessionCount",
        "a closed session's counts never change",
        changeable=ALL,
        change_allowed="TRUE",
        why_changeable="a close waiting for a manager may be counted again",
        delete_allowed="TRUE",
        session="session_id",
    ),
    Rule(
        "pos.CountDenomination",
        "a closed session's counts never change",
        changeable=ALL,
        change_allowed="TRUE",
        why_changeable="a close waiting for a manager may be counted again",
        delete_allowed="TRUE",
        session="count_id",
        via="pos.SessionCount",
    ),
    Rule("pos.CashMove", "cash moves never change"),
    Rule("fiscal.FiscalRecord", "fiscal records are append-only"),
    Rule("fiscal.FiscalKey", "the public keys of the fiscal journal never change"),
    Rule(
        "fiscal.DeviceTransaction",
        "a sale's transaction on the fiscal device never changes once signed or failed",
        changeable=ALL,
        change_allowed="OLD.status IN ('pending', 'signing')",
        why_changeable="the worker claims a pending transaction, counts its attempts and "
        "stores the device's signature bundle or its refusal",
    ),
    Rule(
        "fiscal.FiscalHead",
        "a till's fiscal head only moves forward",
        changeable=("sequence", "signature", "totals"),
        change_allowed="NEW.sequence > OLD.sequence",
        why_changeable="each append moves the till's head to its new last record and adds "
        "its records to the running grand totals; the head is the row appends lock, and "
        "never going back lets the verifier find records taken off the end of a journal",
    ),
)


def is_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` is one of these triggers refusing a change."""
    return isinstance(exc, IntegrityError) and MARK in str(exc)


def refusal_reason(exc: BaseException) -> str:
    """The rule's words from a refusal's message."""
    text = str(exc)
    return text.split(f"{MARK}: ", 1)[-1].split("\n", 1)[0].strip() or text


# --- installation -----------------------------------------------------------------------------


def _apps(apps: Any) -> Any:
    if apps is None:
        from django.apps import apps as global_apps

        return global_apps
    return apps


def _exists(apps: Any, rule: Rule) -> bool:
    """Whether ``rule``'s tables exist in ``apps`` (a migration's historical registry may
    predate a protected model: its table is protected once ``migrate`` ends)."""
    try:
        for label in (rule.model, rule.via) if rule.via else (rule.model,):
            _apps(apps).get_model(label)
    except LookupError:
        return False
    return True


def _present(connection: BaseDatabaseWrapper, apps: Any, rule: Rule) -> bool:
    """Whether ``rule``'s tables are in the database (one migrated back may lack a table
    its models have: the rule is installed again when ``migrate`` brings the table back)."""
    tables = set(connection.introspection.table_names())
    labels = (rule.model, rule.via) if rule.via else (rule.model,)
    return all(_table(apps, label) in tables for label in labels)


def _table(apps: Any, label: str) -> str:
    return str(_apps(apps).get_model(label)._meta.db_table)


def _columns(connection: BaseDatabaseWrapper, table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Sql:
    """The pieces of SQL one engine needs."""

    def __init__(self, connection: BaseDatabaseWrapper, apps: Any) -> None:
        self.connection = connection
        self.apps = apps
        self.pg = connection.vendor == "postgresql"
        self.q = connection.ops.quote_name
        self.schema = ""
        if self.pg:
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_schema()")
                self.schema = self.q(cursor.fetchone()[0]) + "."

    def name(self, table: str) -> str:
        return self.schema + self.q(table)

    def same(self) -> str:
        return "IS NOT DISTINCT FROM" if self.pg else "IS"

    def changed(self, columns: list[str]) -> str:
        op = "IS DISTINCT FROM" if self.pg else "IS NOT"
        return " OR ".join(f"OLD.{self.q(c)} {op} NEW.{self.q(c)}" for c in columns)

    def condition(self, sql: str) -> str:
        return sql.replace("{same}", self.same())

    def session_ids(self, rule: Rule, rows: str) -> str:
        """SQL selecting the session ids of ``rows`` (a transition table on PostgreSQL,
        ``OLD`` on SQLite)."""
        assert rule.session is not None
        column = self.q(rule.session)
        if rule.via is None:
            return f"SELECT {column} FROM {rows}" if self.pg else f"SELECT OLD.{column}"
        via = self.name(_table(self.apps, rule.via))
        source = f"(SELECT {column} FROM {rows})" if self.pg else f"(OLD.{column})"
        return f"SELECT v.session_id FROM {via} v WHERE v.id IN {source}"

    def closed_session(self, rule: Rule, rows: str) -> str:
        session = self.name(_table(self.apps, "pos.Session"))
        return (
            f"EXISTS (SELECT 1 FROM {session} s WHERE s.state = 'closed' "
            f"AND s.id IN ({self.session_ids(rule, rows)}))"
        )


def _existing_triggers(connection: BaseDatabaseWrapper) -> list[tuple[str, str]]:
    """(trigger, table) of every protection trigger in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgname LIKE %s AND c.relnamespace = "
                "current_schema()::regnamespace",
                [PREFIX + "%"],
            )
        else:
            cursor.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                [PREFIX + "%"],
            )
        return [(str(name), str(table)) for name, table in cursor.fetchall()]


def uninstall(connection: BaseDatabaseWrapper | None = None) -> None:
    """Drop every protection trigger (and, on PostgreSQL, their functions)."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name, table in _existing_triggers(connection):
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {q(name)} ON {q(table)}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {q(name)}")
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.proname LIKE %s "
                "AND p.pronamespace = current_schema()::regnamespace",
                [PREFIX + "%"],
            )
            for (signature,) in cursor.fetchall():
                cursor.execute(f"DROP FUNCTION IF EXISTS {signature}")


def install(connection: BaseDatabaseWrapper | None = None, apps: Any = None) -> None:
    """(Re)create every protection trigger for the tables' current columns, in one
    transaction. Idempotent; ``apps``: a migration's historical registry."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    with transaction.atomic(using=connection.alias):
        uninstall(connection)
        sql = _Sql(connection, apps)
        statements = _pg_functions(sql) if sql.pg else []
        with connection.cursor() as cursor:
            for name in _LEGACY_SQLITE if not sql.pg else ():
                cursor.execute(f"DROP TRIGGER IF EXISTS {sql.q(name)}")
            for name, table in _LEGACY_PG if sql.pg else ():
                cursor.execute(f"DROP TRIGGER IF EXISTS {sql.q(name)} ON {sql.q(table)}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {sql.q(name)}()")
            for rule in RULES:
                if _exists(apps, rule) and _present(connection, apps, rule):
                    statements += (_pg_rule if sql.pg else _sqlite_rule)(sql, rule)
            for statement in statements:
                cursor.execute(statement)


def _frozen(sql: _Sql, rule: Rule) -> list[str]:
    if rule.changeable == ALL:
        return []
    return [
        c
        for c in _columns(sql.connection, _table(sql.apps, rule.model))
        if c not in rule.changeable
    ]


def _changeable(sql: _Sql, rule: Rule) -> list[str]:
    columns = _columns(sql.connection, _table(sql.apps, rule.model))
    if rule.changeable == ALL:
        return columns
    # Only the columns the table has (one migrated back may lack a newer one).
    return [c for c in rule.changeable if c in columns]


def _columns_of(sql: _Sql, columns: list[str]) -> str:
    return ", ".join(sql.q(c) for c in columns)


def _sqlite_rule(sql: _Sql, rule: Rule) -> list[str]:
    table = _table(sql.apps, rule.model)
    on = sql.q(table)
    raise_ = f"BEGIN SELECT RAISE(ABORT, {_literal(f'{MARK}: {rule.what}')}); END"
    out = []

    def trigger(suffix: str, event: str, when: str | None) -> None:
        name = sql.q(f"{PREFIX}{table}_{suffix}")
        clause = f" WHEN {when}" if when else ""
        out.append(f"CREATE TRIGGER {name} BEFORE {event} ON {on} FOR EACH ROW{clause} {raise_}")

    frozen = _frozen(sql, rule)
    if not rule.changeable:
        trigger("update", "UPDATE", None)
    else:
        if frozen:
            trigger("frozen", f"UPDATE OF {_columns_of(sql, frozen)}", sql.changed(frozen))
        changeable = _changeable(sql, rule)
        refused = [f"({sql.changed(changeable)}) AND NOT ({sql.condition(rule.change_allowed)})"]
        if rule.session:
            refused.append(sql.closed_session(rule, "OLD"))
        trigger(
            "change",
            f"UPDATE OF {_columns_of(sql, changeable)}",
            " OR ".join(f"({r})" for r in refused),
        )
    refused_delete = [] if rule.delete_allowed == "TRUE" else [f"NOT ({rule.delete_allowed})"]
    if rule.session:
        refused_delete.append(sql.closed_session(rule, "OLD"))
    if refused_delete:
        when = None if rule.delete_allowed == "FALSE" else " OR ".join(refused_delete)
        trigger("delete", "DELETE", when)
    return out


def _pg_functions(sql: _Sql) -> list[str]:
    """The shared functions: the maintenance switch and the refusal."""
    schema = sql.schema
    return [
        f"""
CREATE OR REPLACE FUNCTION {schema}{PREFIX}maintenance(rel oid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- Only a role that could drop the triggers anyway may switch them off.
    IF coalesce(current_setting('{MAINTENANCE_SETTING}', true), '') <> 'on' THEN
        RETURN false;
    END IF;
    RETURN pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = rel), 'MEMBER');
END;
$$""",
        f"""
CREATE OR REPLACE FUNCTION {schema}{PREFIX}refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {schema}{PREFIX}maintenance(TG_RELID) THEN
        IF TG_LEVEL = 'ROW' AND TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        IF TG_LEVEL = 'ROW' THEN RETURN NEW; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '{MARK}: %', TG_ARGV[0]
        USING ERRCODE = 'integrity_constraint_violation', TABLE = TG_TABLE_NAME;
END;
$$""",
    ]


def _pg_rule(sql: _Sql, rule: Rule) -> list[str]:
    table = _table(sql.apps, rule.model)
    on = sql.name(table)
    message = _literal(f"{rule.what}")
    refuse = f"{sql.schema}{PREFIX}refuse({message})"
    out = []

    def trigger(suffix: str, event: str, when: str | None, level: str = "ROW") -> None:
        name = sql.q(f"{PREFIX}{table}_{suffix}")
        clause = f" WHEN ({when})" if when else ""
        out.append(
            f"CREATE TRIGGER {name} BEFORE {event} ON {on} FOR EACH {level}{clause} "
            f"EXECUTE FUNCTION {refuse}"
        )

    frozen = _frozen(sql, rule)
    if not rule.changeable:
        trigger("update", "UPDATE", None)
    else:
        if frozen:
            trigger("frozen", f"UPDATE OF {_columns_of(sql, frozen)}", sql.changed(frozen))
        if rule.change_allowed != "TRUE":
            changeable = _changeable(sql, rule)
            trigger(
                "change",
                f"UPDATE OF {_columns_of(sql, changeable)}",
                f"({sql.changed(changeable)}) AND NOT ({sql.condition(rule.change_allowed)})",
            )
    if rule.delete_allowed == "FALSE":
        trigger("delete", "DELETE", None)
    elif rule.delete_allowed != "TRUE":
        trigger("delete", "DELETE", f"NOT ({rule.delete_allowed})")
    trigger("truncate", "TRUNCATE", None, level="STATEMENT")
    if rule.session:
        out += _pg_session_check(sql, rule, table, message)
    return out


def _pg_session_check(sql: _Sql, rule: Rule, table: str, message: str) -> list[str]:
    """A statement-level check that no row of a closed session was changed or deleted: one
    query per statement (the close attaches 100,000 orders to their invoices in one)."""
    function = f"{sql.schema}{sql.q(f'{PREFIX}{table}_session')}"
    out = [
        f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {sql.schema}{PREFIX}maintenance(TG_RELID) THEN RETURN NULL; END IF;
    IF {sql.closed_session(rule, "old_rows")} THEN
        RAISE EXCEPTION '{MARK}: %', {message}
            USING ERRCODE = 'integrity_constraint_violation', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END;
$$"""
    ]
    for event in ("UPDATE", "DELETE"):
        name = sql.q(f"{PREFIX}{table}_session_{event.lower()}")
        out.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {sql.name(table)} "
            f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    return out


# --- the way past them ------------------------------------------------------------------------


@contextmanager
def maintenance(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let a deliberate bulk operation (the test suite's flush) change protected rows, for
    one transaction: PostgreSQL honours ``SET LOCAL opentill.maintenance = 'on'`` (for a
    role owning the tables); SQLite drops the triggers and creates them again at the end."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL {MAINTENANCE_SETTING} = 'on'")
            yield
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL {MAINTENANCE_SETTING} = 'off'")
        elif connection.vendor == "sqlite":
            uninstall(connection)
            yield
            install(connection)
        else:
            yield


# --- migrate ----------------------------------------------------------------------------------


def around(*operations: Any) -> list[Any]:
    """A migration's ``operations`` that drop, rename or alter a protected table's columns,
    between lifting the protection and putting it back for the columns the table then has.

    Without it PostgreSQL's ``DROP COLUMN ... CASCADE`` (Django's) silently drops the
    triggers naming the column, and SQLite's table rebuild fails on them outside ``migrate``.
    The migration must depend on :data:`MIGRATION` (the protection is then installed first
    and every protected model is in its historical registry); ``migrate`` puts the triggers
    back once more at its end anyway.
    """
    from django.db import migrations

    def lift(apps: Any, schema_editor: Any) -> None:
        uninstall(schema_editor.connection)

    def restore(apps: Any, schema_editor: Any) -> None:
        # SQLite: after_migrate, once no later migration of the run rebuilds a table.
        if schema_editor.connection.vendor == "postgresql":
            install(schema_editor.connection, apps)

    return [
        migrations.RunPython(lift, restore),
        *operations,
        migrations.RunPython(restore, lift),
    ]


MIGRATION = ("common", "0002_protection")


def _applied(connection: BaseDatabaseWrapper) -> bool:
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    return recorder.has_table() and MIGRATION in recorder.applied_migrations()


def before_migrate(*, using: str = DEFAULT_DB_ALIAS, plan: Any = None, **kwargs: Any) -> None:
    """pre_migrate: on SQLite, lift the triggers while migrations rebuild tables."""
    connection = connections[using]
    if connection.vendor == "sqlite" and plan:
        uninstall(connection)


def after_migrate(
    *, using: str = DEFAULT_DB_ALIAS, plan: Any = None, apps: Any = None, **kwargs: Any
) -> None:
    """post_migrate: put the triggers back with the tables' current columns (SQLite: always;
    PostgreSQL: when migrations ran, since they may have added columns)."""
    connection = connections[using]
    if connection.vendor == "sqlite" or plan:
        if _applied(connection):
            install(connection, apps)
