"""A bad bearer token is told so before anything else, even where no endpoint checks it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from opentill.common.problems import problem_document
from opentill.identity.auth import INVALID_TOKEN, bearer_token, bearer_user

API_PREFIX = "/api/"


def unauthorized_response(detail: str) -> HttpResponse:
    body = problem_document("unauthorized", detail)
    response = JsonResponse(body, status=401, content_type="application/problem+json")
    response["WWW-Authenticate"] = 'Bearer realm="OpenTill"'
    return response


class BearerTokenMiddleware:
    """Under /api/, a request whose bearer token is not valid gets 401 rather than the 404 or
    405 of a path or method that no endpoint serves (those answers come before any
    authentication): a terminal whose token expired learns that it must sign in again, and
    never takes such an answer as a final refusal of what it sent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code in (404, 405)
            and request.path.startswith(API_PREFIX)
            and bearer_token(request) is not None
            and bearer_user(request) is None
        ):
            return unauthorized_response(INVALID_TOKEN)
        return response
