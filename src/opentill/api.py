"""REST API v1: one NinjaAPI, RFC 9457 problem documents for every error."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from opentill.common.problems import Problem, problem_document
from opentill.identity.auth import API_AUTH, INVALID_TOKEN, NO_CREDENTIALS, bearer_token

logger = logging.getLogger("opentill.api")

api = NinjaAPI(
    title="OpenTill API",
    version="1",
    description="POS sessions, orders, cash close and accounting. Money and quantities are strings; errors are RFC 9457 problem documents with a stable code.",
    auth=API_AUTH,
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
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
    from opentill.catalog.api import router as catalog_router
    from opentill.identity.api import router as identity_router
    from opentill.invoicing.api import router as invoicing_router
    from opentill.orders.api import router as orders_router
    from opentill.pos.api import router as pos_router
    from opentill.reports.api import router as reports_router

    for router in (
        identity_router,
        pos_router,
        catalog_router,
        orders_router,
        accounting_router,
        invoicing_router,
        reports_router,
    ):
        api.add_router("/", router)


_routers()
