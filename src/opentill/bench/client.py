"""A small JSON client of the server's API, on the standard library."""

from __future__ import annotations

import http.client
import json
from typing import Any

from opentill.bench.errors import BenchError

USERNAME = "alice"
PASSWORD = "demo"
HTTP_TIMEOUT = 600


class Api:
    """A keep-alive JSON client for /api/v1 on one connection (one per sending thread)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
        """Send a request, reconnecting once when the server closed an idle connection;
        the status and the parsed JSON answer."""
        status, data = self.raw(method, path, body)
        return status, json.loads(data) if data else None

    def raw(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """Send a request, reconnecting once when the server closed an idle connection;
        the status and the answer's bytes."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, f"/api/v1{path}", body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
                if attempt == 2:
                    raise
        return response.status, data

    def call(self, method: str, path: str, payload: Any = None, *, expect: int = 200) -> Any:
        """A request with a JSON payload whose answer must have status ``expect``."""
        body = None if payload is None else json.dumps(payload).encode()
        status, answer = self.request(method, path, body)
        if status != expect:
            raise BenchError(f"{method} {path} answered {status}: {answer}")
        return answer

    def close(self) -> None:
        self.conn.close()


def login(port: int, username: str = USERNAME) -> str:
    api = Api(port)
    try:
        answer = api.call("POST", "/auth/token", {"username": username, "password": PASSWORD})
    finally:
        api.close()
    token: str = answer["token"]
    return token
