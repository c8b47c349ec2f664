"""RFC 9457 problem documents with stable machine-readable codes (the API contract, docs/api.md)."""

from __future__ import annotations

from typing import Any

STATUS_BY_CODE: dict[str, int] = {
    "validation_error": 422,
    "malformed_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_session_owner": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "session_already_open": 409,
    "invalid_state": 409,
    "pending_orders": 409,
    "already_closed": 409,
    "payment_mismatch": 422,
    "unknown_payment_method": 422,
    "unknown_product": 422,
    "unknown_customer": 422,
    "count_missing": 422,
    "keep_exceeds_counted": 422,
    "keep_not_chosen": 422,
    "insufficient_cash": 422,
    "held_orders": 409,
    "approval_required": 409,
    "immutable": 409,
    "too_many_attempts": 429,
    "too_large": 413,
    "server_error": 500,
    "service_unavailable": 503,
}

TITLES: dict[str, str] = {
    "validation_error": "The request is not valid",
    "malformed_request": "The request body is not valid JSON",
    "unauthorized": "Authentication required",
    "forbidden": "You may not do this",
    "not_session_owner": "This session belongs to another user",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "session_already_open": "The profile already has an active session",
    "invalid_state": "Not allowed in the current state",
    "pending_orders": "Draft orders are still pending",
    "already_closed": "Already closed",
    "payment_mismatch": "Payments do not match the amount due",
    "unknown_payment_method": "Unknown payment method",
    "unknown_product": "Unknown product",
    "unknown_customer": "Unknown customer",
    "count_missing": "A count is missing",
    "keep_exceeds_counted": "Cash to keep exceeds the counted amount",
    "keep_not_chosen": "The cash to keep is set by the method's policy",
    "insufficient_cash": "Not enough cash in the drawer",
    "held_orders": "Held orders wait for a manager",
    "approval_required": "A manager's approval is required",
    "immutable": "A closed record cannot be changed",
    "too_many_attempts": "Too many attempts",
    "too_large": "The request body is too large",
    "server_error": "Internal error",
    "service_unavailable": "The service is unavailable; try again shortly",
}


class Problem(Exception):
    """A business or input error that becomes a problem document with a stable ``code``."""

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status or STATUS_BY_CODE.get(code, 400)
        self.errors = errors
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        return problem_document(
            self.code, self.detail, status=self.status, errors=self.errors, extra=self.extra
        )


def problem_document(
    code: str,
    detail: str,
    *,
    status: int | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body of a problem: ``type``, ``title``, ``status``, ``detail``, ``code``."""
    body: dict[str, Any] = {
        "type": f"https://opentill.org/problems/{code.replace('_', '-')}",
        "title": TITLES.get(code, code.replace("_", " ").capitalize()),
        "status": status or STATUS_BY_CODE.get(code, 400),
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body
