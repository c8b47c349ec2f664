"""Helpers to drive a session through the API in integration tests."""

from __future__ import annotations

from typing import Any

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
