"""opentill.config.env: every OPENTILL_* variable, typed, with its default."""

from __future__ import annotations

from pathlib import Path

import pytest

from opentill.config.env import ConfigError, read


def test_defaults_when_nothing_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = read({})
    assert env.data_dir == tmp_path / ".opentill"
    assert (env.database_url, env.secret_key, env.test_database_name) == (None, None, None)
    assert (env.debug, env.access_log) == (False, False)
    assert (env.allowed_hosts, env.csrf_trusted_origins) == (["*"], [])
    assert (env.time_zone, env.log_level, env.invoicing_rule) == (
        "Europe/Brussels",
        "INFO",
        "default",
    )
    assert (env.db_busy_timeout, env.db_connect_timeout, env.db_statement_timeout) == (30, 5, 120)
    assert (env.token_hours, env.approval_seconds) == (24, 120)
    assert (
        env.login_max_failures,
        env.login_max_failures_per_address,
        env.login_window_seconds,
        env.login_lock_seconds,
    ) == (5, 20, 900, 300)
    assert (env.print_timeout, env.print_attempts, env.print_retry_seconds) == (5, 5, 10)
    assert env.job_lease_seconds == 30
    assert (env.printer_networks, env.printer_ports) == (None, None)


def test_values_are_typed() -> None:
    env = read(
        {
            "OPENTILL_DEBUG": "Yes",
            "OPENTILL_ALLOWED_HOSTS": "pos.example.com,,till.example.com",
            "OPENTILL_DATABASE_URL": "",
            "OPENTILL_TOKEN_HOURS": "8",
            "OPENTILL_PRINT_RETRY_SECONDS": "0.5",
            "OPENTILL_PRINTER_PORTS": "9100-9102",
            "OPENTILL_ACCESS_LOG": "1",
        }
    )
    assert env.debug is True and env.access_log is True
    assert env.allowed_hosts == ["pos.example.com", "till.example.com"]
    assert env.database_url is None  # empty is unset
    assert env.token_hours == 8
    assert env.print_retry_seconds == 0.5
    assert env.printer_ports == "9100-9102"
    assert read({"OPENTILL_DEBUG": "0"}).debug is False


def test_a_bad_number_names_its_variable() -> None:
    with pytest.raises(ConfigError, match="OPENTILL_TOKEN_HOURS must be an integer, not 'a day'"):
        read({"OPENTILL_TOKEN_HOURS": "a day"})
    with pytest.raises(ConfigError, match="OPENTILL_JOB_LEASE_SECONDS must be a number"):
        read({"OPENTILL_JOB_LEASE_SECONDS": "soon"})
