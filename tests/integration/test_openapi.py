"""The OpenAPI document states every problem an operation can answer, problem documents
match its Problem schema, validation errors say where, and the API explorer works offline."""

from __future__ import annotations

import re
from typing import Any

import pytest

from opentill.common.schemas import ProblemOut
from tests.conftest import Api

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def document(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Api(None).client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_operation_documents_the_problems_it_can_answer(document):
    for method, path, operation in _operations(document):
        statuses = {int(s) for s in operation["responses"]}
        where = f"{method} {path}: {sorted(statuses)}"
        assert 503 in statuses, where  # the database may be unavailable anywhere
        if operation.get("security"):
            assert 401 in statuses, where
        if "requestBody" in operation:
            assert {400, 413, 422} <= statuses, where
        if any(p["in"] in ("path", "query") for p in operation.get("parameters", [])):
            assert 422 in statuses, where
        if "{session_id}" in path or "{profile_id}" in path or "_uuid}" in path:
            assert 404 in statuses, where


def test_problem_responses_are_problem_documents_with_their_codes_and_headers(document):
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            where = f"{method} {path} {status}"
            assert list(response["content"]) == [PROBLEM], where
            schema = response["content"][PROBLEM]["schema"]
            assert schema == {"$ref": "#/components/schemas/ProblemOut"}, where
            assert "`" in response["description"], where  # names its codes
            headers = response.get("headers", {})
            if int(status) == 401:
                assert headers["WWW-Authenticate"]["required"] is True, where
            if int(status) in (429, 503):
                assert headers["Retry-After"]["required"] is True, where
    problem = document["components"]["schemas"]["ProblemOut"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}


def _described_codes(document: dict[str, Any], status: int) -> set[str]:
    descriptions = [
        response["description"]
        for _, _, operation in _operations(document)
        for s, response in operation["responses"].items()
        if int(s) == status
    ]
    return {code for text in descriptions for code in re.findall(r"`(\w+)`", text)}


def test_the_409_description_names_the_conflict_codes(document):
    assert {"session_already_open", "invalid_state", "held_orders"} <= _described_codes(
        document, 409
    )


def test_links_lead_from_a_new_session_to_its_operations(document):
    created = document["paths"]["/api/v1/profiles/{profile_id}/sessions"]["post"]["responses"]
    links = created["201"]["links"]
    ids = {op["operationId"] for _, _, op in _operations(document)}
    assert {link["operationId"] for link in links.values()} <= ids
    assert links["session_close"]["parameters"] == {"session_id": "$response.body#/id"}


def test_real_problems_match_the_problem_schema(api_as, shop):
    alice = api_as("alice")
    answers = [
        Api(None).get("/auth/me"),  # 401
        alice.get("/sessions/999999"),  # 404
        alice.post(f"/sessions/{shop['till1'].pk}/open", {"counts": "x"}),  # 422 with errors
        alice.post(f"/profiles/{shop['till1'].pk}/sessions"),
        alice.post(f"/profiles/{shop['till1'].pk}/sessions"),  # 409 with the session
    ]
    for response in answers[:3] + answers[4:]:
        assert response["Content-Type"] == PROBLEM
        body = response.json()
        ProblemOut.model_validate(body)
        assert body["status"] == response.status_code
    assert answers[4].json()["code"] == "session_already_open"


def test_validation_errors_locate_body_fields_without_the_parameter_name(api_as, shop):
    alice = api_as("alice")
    session = alice.post(f"/profiles/{shop['till1'].pk}/sessions").json()
    answer = alice.post(f"/sessions/{session['id']}/open", {"counts": [{"payment_method": "x"}]})
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["errors"]] == [["body", "counts", 0, "payment_method"]]
    answer = Api(None).post("/auth/token", {"username": "alice"})
    assert answer.json()["errors"] == [{"loc": ["body", "password"], "msg": "Field required"}]


def test_the_api_explorer_loads_nothing_from_outside_the_server(db):
    client = Api(None).client
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html
    assert not re.findall(r"(?:https?:)?//[\w.-]+", html.replace("<!DOCTYPE html>", ""))
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert content, asset
    settings = re.search(r'id="swagger-settings">(.*?)</script>', html, re.S)
    assert settings is not None
    assert '"url": "/api/v1/openapi.json"' in settings.group(1)
    assert '"validatorUrl": null' in settings.group(1)  # no call to an outside validator
