"""The bench's fresh database: a SQLite file, or a database of its own on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from opentill.bench.errors import BenchError


@dataclass
class Database:
    """A fresh database: its URL for OpenTill, its engine, and how to remove it."""

    url: str
    engine: str  # "sqlite" or "postgresql"
    label: str
    sqlite_path: Path | None = None
    drop: Callable[[], None] = field(default=lambda: None)


def postgres_database(server_url: str, name: str = "") -> Database:
    """Create ``name`` (default ``opentill_bench_<pid>``) on the server of ``server_url``."""
    import psycopg

    name = name or f"opentill_bench_{os.getpid()}"
    parts = urlsplit(server_url)
    try:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise BenchError(f"cannot create the database {name}: {exc}") from exc

    def drop() -> None:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    return Database(url=url, engine="postgresql", label=f"PostgreSQL {name}", drop=drop)


def sqlite_database(directory: Path) -> Database:
    path = directory / "opentill.sqlite3"
    return Database(
        url=f"sqlite:///{path}", engine="sqlite", label=f"SQLite {path}", sqlite_path=path
    )
