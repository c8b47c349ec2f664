"""Every ``OPENTILL_*`` environment variable the server reads, with its type and default, in
one place (the README's table of settings lists the same). Pure: no Django.

:func:`read` returns them as an :class:`Env`; the Django settings
(:mod:`opentill.config.settings`) and the ``opentill`` command use it and nothing else
reads ``os.environ`` for a setting. A value that does not parse is refused with the
variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

TRUE = frozenset({"1", "true", "yes", "on"})


class ConfigError(ValueError):
    """An environment variable holds a value of the wrong type."""


@dataclass(frozen=True)
class Env:
    """The server's configuration from the environment (defaults where unset)."""

    data_dir: Path  # OPENTILL_DATA_DIR: SQLite file, generated secret key, static files
    database_url: str | None  # OPENTILL_DATABASE_URL: None → SQLite in the data directory
    secret_key: str | None  # OPENTILL_SECRET_KEY: None → generated once into the data dir
    debug: bool  # OPENTILL_DEBUG
    allowed_hosts: list[str]  # OPENTILL_ALLOWED_HOSTS, comma-separated
    csrf_trusted_origins: list[str]  # OPENTILL_CSRF_TRUSTED_ORIGINS, comma-separated
    time_zone: str  # OPENTILL_TIME_ZONE
    log_level: str  # OPENTILL_LOG_LEVEL
    access_log: bool  # OPENTILL_ACCESS_LOG: gunicorn's access log on stdout
    db_busy_timeout: int  # OPENTILL_DB_BUSY_TIMEOUT, seconds (SQLite)
    db_connect_timeout: int  # OPENTILL_DB_CONNECT_TIMEOUT, seconds (PostgreSQL)
    db_statement_timeout: int  # OPENTILL_DB_STATEMENT_TIMEOUT, seconds (PostgreSQL)
    test_database_name: str | None  # OPENTILL_TEST_DATABASE_NAME (tests on PostgreSQL)
    invoicing_rule: str  # OPENTILL_INVOICING_RULE
    token_hours: int  # OPENTILL_TOKEN_HOURS
    approval_seconds: int  # OPENTILL_APPROVAL_SECONDS
    login_max_failures: int  # OPENTILL_LOGIN_MAX_FAILURES
    login_max_failures_per_address: int  # OPENTILL_LOGIN_MAX_FAILURES_PER_ADDRESS
    login_window_seconds: int  # OPENTILL_LOGIN_WINDOW_SECONDS
    login_lock_seconds: int  # OPENTILL_LOGIN_LOCK_SECONDS
    print_timeout: float  # float ok: OPENTILL_PRINT_TIMEOUT, seconds
    print_attempts: int  # OPENTILL_PRINT_ATTEMPTS
    print_retry_seconds: float  # float ok: OPENTILL_PRINT_RETRY_SECONDS
    job_lease_seconds: float  # float ok: OPENTILL_JOB_LEASE_SECONDS
    printer_networks: str | None  # OPENTILL_PRINTER_NETWORKS: None → private ranges
    printer_ports: str | None  # OPENTILL_PRINTER_PORTS: None → 9100
    fiscal_key: str | None  # OPENTILL_FISCAL_KEY: None → fiscal_key.pem in the data dir
    device_retry_seconds: float  # float ok: OPENTILL_DEVICE_RETRY_SECONDS
    device_retry_max_seconds: float  # float ok: OPENTILL_DEVICE_RETRY_MAX_SECONDS


def read(environ: Mapping[str, str] | None = None) -> Env:
    """The configuration from ``environ`` (default: this process's environment)."""
    env = os.environ if environ is None else environ

    def text(name: str, default: str) -> str:
        return env.get(f"OPENTILL_{name}", default)

    def optional(name: str) -> str | None:
        return env.get(f"OPENTILL_{name}") or None

    def number(name: str, default: str, kind: Callable[[str], T]) -> T:
        value = text(name, default)
        try:
            return kind(value)
        except ValueError:
            raise ConfigError(
                f"OPENTILL_{name} must be {'an integer' if kind is int else 'a number'}, "
                f"not {value!r}"
            ) from None

    def flag(name: str) -> bool:
        return text(name, "").strip().lower() in TRUE

    def items(name: str, default: str) -> list[str]:
        return [item for item in text(name, default).split(",") if item]

    return Env(
        data_dir=Path(text("DATA_DIR", "./.opentill")).resolve(),
        database_url=optional("DATABASE_URL"),
        secret_key=optional("SECRET_KEY"),
        debug=flag("DEBUG"),
        allowed_hosts=items("ALLOWED_HOSTS", "*"),
        csrf_trusted_origins=items("CSRF_TRUSTED_ORIGINS", ""),
        time_zone=text("TIME_ZONE", "Europe/Brussels"),
        log_level=text("LOG_LEVEL", "INFO"),
        access_log=bool(text("ACCESS_LOG", "")),
        db_busy_timeout=number("DB_BUSY_TIMEOUT", "30", int),
        db_connect_timeout=number("DB_CONNECT_TIMEOUT", "5", int),
        db_statement_timeout=number("DB_STATEMENT_TIMEOUT", "120", int),
        test_database_name=optional("TEST_DATABASE_NAME"),
        invoicing_rule=text("INVOICING_RULE", "default"),
        token_hours=number("TOKEN_HOURS", "24", int),
        approval_seconds=number("APPROVAL_SECONDS", "120", int),
        login_max_failures=number("LOGIN_MAX_FAILURES", "5", int),
        login_max_failures_per_address=number("LOGIN_MAX_FAILURES_PER_ADDRESS", "20", int),
        login_window_seconds=number("LOGIN_WINDOW_SECONDS", "900", int),
        login_lock_seconds=number("LOGIN_LOCK_SECONDS", "300", int),
        print_timeout=number("PRINT_TIMEOUT", "5", float),
        print_attempts=number("PRINT_ATTEMPTS", "5", int),
        print_retry_seconds=number("PRINT_RETRY_SECONDS", "10", float),
        job_lease_seconds=number("JOB_LEASE_SECONDS", "30", float),
        printer_networks=optional("PRINTER_NETWORKS"),
        printer_ports=optional("PRINTER_PORTS"),
        fiscal_key=optional("FISCAL_KEY"),
        device_retry_seconds=number("DEVICE_RETRY_SECONDS", "10", float),
        device_retry_max_seconds=number("DEVICE_RETRY_MAX_SECONDS", "300", float),
    )
