"""RFC 9457 problem documents with stable machine-readable codes (the API contract, docs/api.md)."""

from __future__ import annotations

from typing import Any

# Every problem code, written once: its HTTP status and its title. docs/api.md lists them for
# users (a test keeps the two equal) and every code the source raises must be here.
CODES: dict[str, tuple[int, str]] = {
    "validation_error": (422, "The request is not valid"),
    "malformed_request": (400, "The request body is not valid JSON"),
    "unauthorized": (401, "Authentication required"),
    "forbidden": (403, "You may not do this"),
    "not_session_owner": (403, "This session belongs to another user"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "session_already_open": (409, "The profile already has an active session"),
    "invalid_state": (409, "Not allowed in the current state"),
    "pending_orders": (409, "Draft orders are still pending"),
    "payment_mismatch": (422, "Payments do not match the amount due"),
    "duplicate_number": (422, "Another ticket of this till has this number"),
    "unknown_payment_method": (422, "Unknown payment method"),
    "unknown_product": (422, "Unknown product"),
    "unknown_customer": (422, "Unknown customer"),
    "unknown_fiscal_position": (422, "Unknown fiscal position"),
    "count_missing": (422, "A count is missing"),
    "keep_exceeds_counted": (422, "Cash to keep exceeds the counted amount"),
    "keep_not_chosen": (422, "The cash to keep is set by the method's policy"),
    "insufficient_cash": (422, "Not enough cash in the drawer"),
    "held_orders": (409, "Held orders wait for a manager"),
    "approval_required": (409, "A manager's approval is required"),
    "immutable": (409, "A closed record cannot be changed"),
    "period_open": (409, "The period has not ended or a session of it is still open"),
    "periods_not_closed": (409, "The days (or months) of this period are not all closed"),
    "too_many_attempts": (429, "Too many attempts"),
    "too_large": (413, "The request body is too large"),
    "server_error": (500, "Internal error"),
    "service_unavailable": (503, "The service is unavailable; try again shortly"),
}
STATUS_BY_CODE: dict[str, int] = {code: status for code, (status, _) in CODES.items()}
TITLES: dict[str, str] = {code: title for code, (_, title) in CODES.items()}


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
