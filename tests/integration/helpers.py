"""Helpers to drive a session through the API in integration tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

from tests.conftest import Api


def open_session(
    api: Api, profile_id: int, counts: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Create a session on the profile and, under opening control, open it with ``counts``."""
    response = api.post(f"/profiles/{profile_id}/sessions")
    assert response.status_code == 201, response.content
    session = response.json()
    if session["state"] == "opening_control":
        response = api.post(
            f"/sessions/{session['id']}/open", {"counts": counts or [], "notes": ""}
        )
        assert response.status_code == 200, response.content
        session = response.json()
    assert session["state"] == "in_progress"
    return session


def sync(api: Api, session_id: int, *orders: dict[str, Any]) -> list[dict[str, Any]]:
    response = api.post(f"/sessions/{session_id}/orders", {"orders": list(orders)})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def race(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run ``calls`` in threads that start together (one barrier), each on its own database
    connection; return their results, or raise the first exception one of them raised."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a request hung"
    if errors:
        raise errors[0]
    return results
