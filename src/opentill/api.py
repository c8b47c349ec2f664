"""REST API v1: one NinjaAPI, RFC 9457 problem documents for every error."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DataError, IntegrityError, InterfaceError, InternalError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from opentill.common import protection
from opentill.common.problems import STATUS_BY_CODE, Problem, problem_document
from opentill.identity.auth import API_AUTH, INVALID_TOKEN, NO_CREDENTIALS, bearer_token

logger = logging.getLogger("opentill.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Headers that come with some problem statuses, as the OpenAPI document states them.
_PROBLEM_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "the scheme to authenticate with",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "seconds to wait before trying again",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
    503: {
        "Retry-After": {
            "description": "seconds to wait before trying again",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}

# OpenAPI links: which answer gives the id a later request names (for clients and for the
# stateful fuzz test). (method, path, status) → {link name: (operationId, parameters)}.
_SESSION_ID_OPERATIONS = (
    "opentill_pos_api_session_detail",
    "opentill_pos_api_session_open",
    "opentill_pos_api_session_closing",
    "opentill_pos_api_session_close",
    "opentill_pos_api_session_force_close",
    "opentill_pos_api_session_validate_closing",
    "opentill_pos_api_session_partial_close",
    "opentill_pos_api_cash_move_create",
    "opentill_pos_api_cash_move_list",
    "opentill_orders_api_order_sync",
    "opentill_orders_api_held_order_list",
    "opentill_reports_api_report",
    "opentill_reports_api_report_link",
    "opentill_reports_api_print_jobs",
    "opentill_accounting_api_session_journal_entries",
    "opentill_invoicing_api_session_invoices",
)
_PROFILE_ID_OPERATIONS = (
    "opentill_pos_api_session_create",
    "opentill_catalog_api_catalog",
    "opentill_pos_api_cash_move_destinations",
    "opentill_fiscal_api_fiscal_records",
    "opentill_fiscal_api_fiscal_verify",
)


def _links(operation_ids: tuple[str, ...], parameter: str, expression: str) -> dict[str, Any]:
    return {
        f"{operation_id.rsplit('_api_', 1)[1]}": {
            "operationId": operation_id,
            "parameters": {parameter: expression},
        }
        for operation_id in operation_ids
    }


_LINKS: dict[tuple[str, str, str], dict[str, Any]] = {
    ("get", "/api/v1/profiles", "200"): _links(
        _PROFILE_ID_OPERATIONS, "profile_id", "$response.body#/0/id"
    ),
    ("post", "/api/v1/profiles/{profile_id}/sessions", "201"): _links(
        _SESSION_ID_OPERATIONS, "session_id", "$response.body#/id"
    ),
    # session_already_open names the active session.
    ("post", "/api/v1/profiles/{profile_id}/sessions", "409"): _links(
        _SESSION_ID_OPERATIONS, "session_id", "$response.body#/session/id"
    ),
    ("get", "/api/v1/sessions", "200"): _links(
        _SESSION_ID_OPERATIONS, "session_id", "$response.body#/items/0/id"
    ),
    ("post", "/api/v1/sessions/{session_id}/open", "200"): _links(
        _SESSION_ID_OPERATIONS, "session_id", "$response.body#/id"
    ),
    ("get", "/api/v1/sessions/{session_id}/closing", "200"): {
        "order_void": {
            "operationId": "opentill_orders_api_order_void",
            "parameters": {"order_uuid": "$response.body#/pending_orders/0/uuid"},
        },
        "held_order_resolve": {
            "operationId": "opentill_orders_api_held_order_resolve",
            "parameters": {"held_uuid": "$response.body#/held_orders/0/uuid"},
        },
    },
    ("get", "/api/v1/sessions/{session_id}/held-orders", "200"): {
        "held_order_resolve": {
            "operationId": "opentill_orders_api_held_order_resolve",
            "parameters": {"held_uuid": "$response.body#/0/uuid"},
        },
    },
    ("post", "/api/v1/sessions/{session_id}/orders", "200"): {
        "order_void": {
            "operationId": "opentill_orders_api_order_void",
            "parameters": {"order_uuid": "$response.body#/results/0/uuid"},
        },
        "held_order_resolve": {
            "operationId": "opentill_orders_api_held_order_resolve",
            "parameters": {"held_uuid": "$response.body#/results/0/uuid"},
        },
    },
}


def _problem_codes(status: int) -> str:
    codes = sorted(code for code, s in STATUS_BY_CODE.items() if s == status)
    return ", ".join(f"`{code}`" for code in codes)


class OpenTillAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document states every problem response as
    ``application/problem+json`` with its codes and headers, and whose validation errors
    locate a body field as ``["body", field, …]``."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problem_ref = "#/components/schemas/ProblemOut"
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                for status, response in operation.get("responses", {}).items():
                    links = _LINKS.get((method, path, str(status)))
                    if links:
                        response["links"] = links
                    content = response.get("content", {})
                    media = content.get("application/json")
                    if not media or media.get("schema", {}).get("$ref") != problem_ref:
                        continue
                    response["content"] = {PROBLEM_MEDIA_TYPE: media}
                    codes = _problem_codes(int(status))
                    response["description"] = (
                        f"{response.get('description', '')}: a problem document"
                        + (f" ({codes})" if codes else "")
                    )
                    if int(status) in _PROBLEM_HEADERS:
                        response["headers"] = _PROBLEM_HEADERS[int(status)]
        return schema

    def validation_error_from_error_contexts(self, error_contexts: list[Any]) -> ValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            located = super().validation_error_from_error_contexts([context]).errors
            # A body read from one parameter is the whole body: ninja locates its fields
            # under the parameter's name too (["body", "body", "counts"]); drop that name.
            name = getattr(context.model, "__read_from_single_attr__", None)
            for error in located:
                loc = list(error.get("loc", ()))
                if name and loc[:2] == ["body", name]:
                    error["loc"] = ("body", *loc[2:])
                errors.append(error)
        return ValidationError(errors)


api = OpenTillAPI(
    title="OpenTill API",
    version="1",
    description="POS sessions, orders, cash close and accounting. Money and quantities are "
    "strings; errors are RFC 9457 problem documents (`application/problem+json`) with a "
    "stable code: every operation lists the problem statuses it can answer.",
    auth=API_AUTH,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    # The explorer's scripts and styles are served from this server (ninja's static
    # files), never from a CDN: it works offline.
    docs=Swagger(settings={"validatorUrl": None}),
    docs_url="/docs",
)


_QUERY_BUGS = ("no such table", "no such column", "has no column", "syntax error")

# Seconds a client waits before trying again when the database is unavailable.
RETRY_AFTER_UNAVAILABLE = 5


def problem_response(request: HttpRequest, body: dict[str, Any]) -> HttpResponse:
    response = api.create_response(request, body, status=body["status"])
    response["Content-Type"] = "application/problem+json"
    if body["status"] == 401:
        response["WWW-Authenticate"] = 'Bearer realm="OpenTill"'
    if "retry_after" in body:
        response["Retry-After"] = str(body["retry_after"])
    return response


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc.as_dict())


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "invalid"))} for e in exc.errors
    ]
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
    return problem_response(
        request, problem_document("validation_error", detail or "Invalid input.", errors=errors)
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = NO_CREDENTIALS if bearer_token(request) is None else INVALID_TOKEN
    return problem_response(request, problem_document("unauthorized", detail))


@api.exception_handler(AuthorizationError)
def _unauthorized(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return problem_response(request, problem_document("forbidden", str(exc)))


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem_response(
        request, problem_document("forbidden", str(exc) or "You may not do this.")
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {
        400: "malformed_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
    }
    return problem_response(
        request,
        problem_document(
            code.get(exc.status_code, "malformed_request"), str(exc), status=exc.status_code
        ),
    )


@api.exception_handler(DataError)
def _data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # A value the database cannot store (a NUL character in a text, a number out of range)
    # that no schema rule caught: the transaction was rolled back, nothing was stored.
    logger.warning("data error on %s %s: %s", request.method, request.path, exc)
    return problem_response(
        request,
        problem_document(
            "validation_error",
            "A value cannot be stored: text must not contain NUL characters and numbers must be in range.",
        ),
    )


@api.exception_handler(IntegrityError)
def _integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # The database refused to change a closed record (common/protection.py): no service
    # asks it to, so this is a bug to log; the client is told nothing was changed.
    if not protection.is_refusal(exc):
        return _unexpected(request, exc)
    logger.error("immutable record on %s %s: %s", request.method, request.path, exc)
    return problem_response(
        request,
        problem_document(
            "immutable",
            f"The database refused the change, nothing was stored: "
            f"{protection.refusal_reason(exc)}.",
        ),
    )


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem_response(
        request,
        problem_document(
            "too_large",
            f"The request body exceeds {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes; "
            "send fewer orders per request.",
        ),
    )


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The database is down, locked beyond the busy timeout, out of disk or timed out: nothing
    # was stored (the transaction rolled back), so the client may send the same request again.
    # SQLite also reports a bad query (a missing table or column) as an OperationalError:
    # that is a bug to log and fix, not a moment to wait out.
    if any(sign in str(exc) for sign in _QUERY_BUGS):
        return _unexpected(request, exc)
    logger.error("database unavailable on %s %s: %s", request.method, request.path, exc)
    return problem_response(
        request,
        problem_document(
            "service_unavailable",
            "The database is not available right now; nothing was stored. Try again shortly.",
            extra={"retry_after": RETRY_AFTER_UNAVAILABLE},
        ),
    )


# SQLSTATE 25006 read_only_sql_transaction: PostgreSQL refuses writes on a hot standby or a
# database set read-only (psycopg reports it as an InternalError): an outage, not a bug.
_READ_ONLY_SQLSTATE = "25006"


@api.exception_handler(InternalError)
def _internal(request: HttpRequest, exc: InternalError) -> HttpResponse:
    if getattr(exc.__cause__, "sqlstate", None) == _READ_ONLY_SQLSTATE:
        return _unavailable(request, exc)
    return _unexpected(request, exc)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, problem_document("not_found", str(exc) or "Not found."))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unexpected error on %s %s", request.method, request.path)
    return problem_response(
        request,
        problem_document("server_error", "An unexpected error occurred; it has been logged."),
    )


def _routers() -> None:
    from opentill.accounting.api import router as accounting_router
    from opentill.closing.api import router as closing_router
    from opentill.fiscal.api import router as fiscal_router
    from opentill.fiscal.devices.api import router as fiscal_devices_router
    from opentill.identity.api import router as identity_router
    from opentill.invoicing.api import router as invoicing_router
    from opentill.orders.api import router as orders_router
    from opentill.pos.api import router as pos_router
    from opentill.reports.api import router as reports_router

    for router in (
        identity_router,
        pos_router,
        closing_router,
        orders_router,
        accounting_router,
        invoicing_router,
        fiscal_router,
        fiscal_devices_router,
        reports_router,
    ):
        api.add_router("/", router)


_routers()
