"""/health says whether the database answers, and which part failed when it does not."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client


@pytest.mark.django_db
def test_health_checks_the_database():
    response = Client().get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_health_is_503_with_the_failing_part_when_the_database_fails(monkeypatch):
    from django.db.backends.utils import CursorWrapper
    from django.db.utils import OperationalError

    def refuse(self, sql, params=None):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    response = Client().get("/health")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "status": "unavailable",
        "database": "OperationalError: connection refused",
    }


def test_postgresql_connections_time_out(settings):
    """A server that never answers fails within seconds, and runaway statements stop."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["connect_timeout"] == 5
    assert "statement_timeout=120000" in options["options"]


@pytest.mark.django_db
def test_a_database_server_that_never_answers_fails_instead_of_hanging(settings):
    """A listener that accepts the connection and says nothing: the connect timeout ends the
    wait with an OperationalError (which the API answers as 503), not a hung request."""
    import socket

    from django.db.backends.postgresql.base import DatabaseWrapper
    from django.db.utils import OperationalError

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        config = dict(settings.DATABASES["default"])
        config["HOST"], config["PORT"] = "127.0.0.1", silent.getsockname()[1]
        config["OPTIONS"] = {**config["OPTIONS"], "connect_timeout": 1}
        wrapper = DatabaseWrapper(config, alias="silent")
        with pytest.raises(OperationalError):
            wrapper.ensure_connection()
    finally:
        silent.close()
