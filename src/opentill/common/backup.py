"""``opentill backup`` and ``opentill restore``: a consistent copy of the whole database while
the server runs, and putting one back.

SQLite uses its online backup API (a consistent snapshot even while terminals write);
PostgreSQL uses ``pg_dump`` in its custom format and ``pg_restore`` (both from the
PostgreSQL client package). A backup is checked before a restore overwrites anything.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

COMMANDS = ("backup", "restore")


class BackupError(RuntimeError):
    pass


def add_commands(subparsers: Any) -> None:
    """Add ``backup`` and ``restore`` to the ``opentill`` command's sub-parsers."""
    backup = subparsers.add_parser(
        "backup",
        help="write a consistent copy of the database (safe while the server runs)",
        description="SQLite: the online backup API; PostgreSQL: pg_dump (custom format).",
    )
    backup.add_argument(
        "-o", "--output", help="file to write; default: <data dir>/backups/opentill-<time>.<ext>"
    )
    restore = subparsers.add_parser(
        "restore",
        help="replace the database with a backup (stop the server first)",
        description="Checks the backup, then replaces every table of the configured database.",
    )
    restore.add_argument("file", help="a file written by 'opentill backup'")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _database() -> dict[str, Any]:
    from django.db import connections

    return connections["default"].settings_dict


def _is_sqlite(db: dict[str, Any]) -> bool:
    return str(db["ENGINE"]).endswith("sqlite3")


def _pg_command(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _pg_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def default_path() -> Path:
    from django.conf import settings

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    ext = "sqlite3" if _is_sqlite(_database()) else "pgdump"
    return Path(settings.DATA_DIR) / "backups" / f"opentill-{stamp}.{ext}"


def backup(output: Path) -> Path:
    """Write a consistent copy of the configured database to ``output``; return it."""
    db = _database()
    output.parent.mkdir(parents=True, exist_ok=True)
    if _is_sqlite(db):
        source = sqlite3.connect(str(db["NAME"]))
        target = sqlite3.connect(str(output))
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        return output
    args, env = _pg_env(db)
    done = subprocess.run(
        [_pg_command("pg_dump"), *args, "--format=custom", "--file", str(output), str(db["NAME"])],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return output


def _check_sqlite(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()
            conn.execute("SELECT count(*) FROM pos_session").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not an OpenTill SQLite backup: {exc}") from None
    if result != ("ok",):
        raise BackupError(f"{path} fails SQLite's integrity check: {result}")


def restore(path: Path) -> None:
    """Replace the configured database with the backup at ``path`` (checked first)."""
    from django.db import connections

    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    db = _database()
    connections["default"].close()
    if _is_sqlite(db):
        _check_sqlite(path)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(str(db["NAME"]))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    args, env = _pg_env(db)
    listing = subprocess.run(
        [_pg_command("pg_restore"), "--list", str(path)], env=env, capture_output=True, text=True
    )
    if listing.returncode or "pos_session" not in listing.stdout:
        raise BackupError(f"{path} is not an OpenTill PostgreSQL backup: {listing.stderr.strip()}")
    done = subprocess.run(
        [
            _pg_command("pg_restore"),
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            str(db["NAME"]),
            str(path),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def run(args: argparse.Namespace) -> int | None:
    """Run ``backup`` or ``restore``; ``None`` when the command is another one."""
    if args.command not in COMMANDS:
        return None
    try:
        if args.command == "backup":
            path = backup(Path(args.output) if args.output else default_path())
            print(f"backup written to {path} ({path.stat().st_size:,} bytes)")
            return 0
        path = Path(args.file)
        if not args.yes:
            answer = input(f"Replace the whole database with {path}? Type 'yes': ")
            if answer.strip().lower() != "yes":
                print("restore cancelled", file=sys.stderr)
                return 1
        restore(path)
        print(f"database restored from {path}")
        return 0
    except BackupError as exc:
        print(f"opentill: {exc}", file=sys.stderr)
        return 2
