"""A simulator that stands in for a TSE (a certified signing device), as a real peer on the
network: a small HTTP server speaking JSON, with its own Ed25519 key, a serial (the SHA-256
of its public key, as a German TSE's), a monotonic signature counter and transaction
numbers, and, on demand, refusals, outages and slow answers (its admin endpoint). Pure:
the standard library and ``cryptography``, no Django, so it runs apart from OpenTill
(``opentill fiscal-device simulator --port 8765``, or ``python -m
opentill.fiscal.devices.simulator``).

The protocol (what :mod:`opentill.fiscal.devices.network` speaks), JSON in and out:

* ``GET /info``, ``GET /health`` — serial, algorithm, public key (PEM), counters;
* ``PUT /clients/{client_id}`` — register a till (idempotent);
* ``PUT /tx/{tx_id}`` ``{"client_id", "state": "ACTIVE" | "FINISHED", "process_type",
  "process_data"}`` — start (a new ``tx_id``), update (``ACTIVE`` again: the revision goes
  up) or finish (signs: the counter goes up by one) a transaction. The transaction id is
  the client's, so a call repeated after a lost answer returns what was done, never a
  second signature;
* ``POST /clients/{client_id}/close`` ``{"day"}`` — the signed daily close of a till;
* ``GET /export?client_id=`` — the device's log, one JSON object a line (every
  registration, signature and close it made, with the signed text and signature);
* ``GET /admin``, ``POST /admin`` ``{"outage": bool, "refuse": n, "refuse_reason",
  "delay": seconds}`` — the test's levers: answer 503 to everything but ``/admin``; refuse
  the next ``n`` transactions (409); after signing, wait ``delay`` seconds before answering.

Errors are ``{"error": code, "detail"}``: 404 ``unknown_client``/``unknown_transaction``,
409 ``refused``/``already_finished``/``not_started``/``different_data``, 503
``unavailable``, 400 ``bad_request``. A signature covers the UTF-8 bytes of ``signed_data``:
canonical JSON (keys sorted, no spaces) of ``format``, ``serial``, ``client_id``,
``tx_id``, ``number``, ``counter``, ``process_type``, ``process_data``, ``started``,
``finished`` (a close: ``client_id``, ``day``, ``counter``, ``transactions``).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

FORMAT = "opentill-tse-simulator/1"
ALGORITHM = "Ed25519"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class SimulatorError(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


class DeviceState:
    """The device: its key, counters, clients, transactions and log; saved to ``path``
    (JSON) after every change when given, so a restarted simulator is the same device."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.outage = False
        self.refuse = 0
        self.refuse_reason = "refused by the simulator"
        self.delay = 0.0  # float ok: seconds
        self.released = threading.Event()
        self.finishing = 0  # finish calls signed and waiting out the delay
        if path is not None and path.exists():
            saved = json.loads(path.read_text("utf-8"))
            key = serialization.load_pem_private_key(saved["key"].encode("ascii"), None)
            assert isinstance(key, Ed25519PrivateKey)
            self.key = key
            self.counter: int = saved["counter"]
            self.number: int = saved["number"]
            self.clients: dict[str, dict[str, Any]] = saved["clients"]
            self.transactions: dict[str, dict[str, Any]] = saved["transactions"]
            self.closes: dict[str, dict[str, Any]] = saved["closes"]
            self.log: list[dict[str, Any]] = saved["log"]
        else:
            self.key = Ed25519PrivateKey.generate()
            self.counter = 0
            self.number = 0
            self.clients, self.transactions, self.closes, self.log = {}, {}, {}, []
        public = self.key.public_key()
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.serial = hashlib.sha256(raw).hexdigest()
        self.public_pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        key = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        state = {
            "key": key,
            "counter": self.counter,
            "number": self.number,
            "clients": self.clients,
            "transactions": self.transactions,
            "closes": self.closes,
            "log": self.log,
        }
        staged = self.path.with_name(self.path.name + ".new")
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(state, out)
        os.replace(staged, self.path)

    def _sign(self, body: dict[str, Any]) -> tuple[str, str]:
        signed = canonical({"format": FORMAT, "serial": self.serial, **body})
        signature = base64.b64encode(self.key.sign(signed.encode("utf-8"))).decode("ascii")
        return signed, signature

    # --- the protocol ---------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        with self.lock:
            return {
                "serial": self.serial,
                "algorithm": ALGORITHM,
                "public_key": self.public_pem,
                "time": now(),
                "signature_counter": self.counter,
                "transaction_number": self.number,
                "format": FORMAT,
            }

    def register(self, client_id: str) -> dict[str, Any]:
        with self.lock:
            client = self.clients.get(client_id)
            if client is None:
                client = {"client_id": client_id, "registered_at": now()}
                self.clients[client_id] = client
                self.log.append({"event": "registered", **client})
                self._save()
            return {
                **client,
                "serial": self.serial,
                "algorithm": ALGORITHM,
                "public_key": self.public_pem,
            }

    def _client(self, client_id: Any) -> str:
        if not isinstance(client_id, str) or client_id not in self.clients:
            raise SimulatorError(404, "unknown_client", f"client {client_id!r} is not registered")
        return client_id

    def transaction(self, tx_id: str, body: dict[str, Any]) -> dict[str, Any]:
        state = body.get("state")
        if state not in ("ACTIVE", "FINISHED"):
            raise SimulatorError(400, "bad_request", "state must be ACTIVE or FINISHED")
        process_data = body.get("process_data")
        if not isinstance(process_data, dict):
            raise SimulatorError(400, "bad_request", "process_data must be an object")
        process_type = str(body.get("process_type") or "receipt")
        with self.lock:
            client_id = self._client(body.get("client_id"))
            tx = self.transactions.get(tx_id)
            if tx is not None and tx["client_id"] != client_id:
                raise SimulatorError(409, "different_data", "the transaction is another client's")
            if state == "ACTIVE":
                if tx is None:
                    self.number += 1
                    tx = {
                        "tx_id": tx_id,
                        "client_id": client_id,
                        "number": self.number,
                        "state": "ACTIVE",
                        "revision": 1,
                        "started": now(),
                        "process_type": process_type,
                        "process_data": process_data,
                    }
                    self.transactions[tx_id] = tx
                elif tx["state"] == "FINISHED":
                    if tx["process_data"] != process_data:
                        raise SimulatorError(409, "already_finished", f"{tx_id} is finished")
                    return dict(tx)  # a start repeated after a lost answer: as it stands
                elif tx["process_data"] != process_data or tx["process_type"] != process_type:
                    tx["revision"] += 1
                    tx["process_data"], tx["process_type"] = process_data, process_type
                self._save()
                return dict(tx)
            # FINISHED
            if tx is None:
                raise SimulatorError(409, "not_started", f"{tx_id} was never started")
            if tx["state"] == "FINISHED":
                if tx["process_data"] != process_data:
                    raise SimulatorError(409, "different_data", f"{tx_id} was signed otherwise")
                return dict(tx)  # the answer lost on the way, given again: no new signature
            if self.refuse > 0:
                self.refuse -= 1
                raise SimulatorError(409, "refused", self.refuse_reason)
            tx["process_data"], tx["process_type"] = process_data, process_type
            self.counter += 1
            tx["finished"] = now()
            tx["counter"] = self.counter
            tx["state"] = "FINISHED"
            tx["signed_data"], tx["signature"] = self._sign(
                {
                    "client_id": client_id,
                    "tx_id": tx_id,
                    "number": tx["number"],
                    "counter": tx["counter"],
                    "process_type": process_type,
                    "process_data": process_data,
                    "started": tx["started"],
                    "finished": tx["finished"],
                }
            )
            tx["algorithm"], tx["serial"] = ALGORITHM, self.serial
            tx["public_key"] = self.public_pem
            self.log.append({"event": "signed", **tx})
            self._save()
            return dict(tx)

    def daily_close(self, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
        day = body.get("day")
        if not isinstance(day, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise SimulatorError(400, "bad_request", "day must be YYYY-MM-DD")
        with self.lock:
            self._client(client_id)
            key = f"{client_id}/{day}"
            done = self.closes.get(key)
            if done is not None:
                return dict(done)
            self.counter += 1
            count = sum(
                1
                for t in self.transactions.values()
                if t["client_id"] == client_id and t["state"] == "FINISHED"
            )
            signed, signature = self._sign(
                {"client_id": client_id, "day": day, "counter": self.counter, "transactions": count}
            )
            close = {
                "client_id": client_id,
                "day": day,
                "counter": self.counter,
                "signed_data": signed,
                "signature": signature,
            }
            self.closes[key] = close
            self.log.append({"event": "daily_close", **close})
            self._save()
            return dict(close)

    def export(self, client_id: str | None) -> bytes:
        with self.lock:
            lines = [
                canonical(entry)
                for entry in self.log
                if client_id is None or entry.get("client_id") == client_id
            ]
        return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""

    def admin(self, body: dict[str, Any] | None) -> dict[str, Any]:
        with self.lock:
            if body:
                if "outage" in body:
                    self.outage = bool(body["outage"])
                if "refuse" in body:
                    self.refuse = max(0, int(body["refuse"]))
                if "refuse_reason" in body:
                    self.refuse_reason = str(body["refuse_reason"])
                if "delay" in body:
                    self.delay = max(0.0, float(body["delay"]))  # float ok: seconds
                    if self.delay == 0:
                        self.released.set()  # wake the answers waiting out a delay
                    else:
                        self.released.clear()
            return {
                "outage": self.outage,
                "refuse": self.refuse,
                "refuse_reason": self.refuse_reason,
                "delay": self.delay,
                "finishing": self.finishing,
                "signature_counter": self.counter,
                "transaction_number": self.number,
            }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1_000_000:
            raise SimulatorError(413, "too_large", "request too large")
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise SimulatorError(400, "bad_request", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise SimulatorError(400, "bad_request", "the body is not an object")
        return body

    def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        data = payload if isinstance(payload, bytes) else canonical(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client went away (a worker killed mid-call)
            pass

    def _route(self, method: str) -> None:
        device = self.server.device
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        try:
            if path == "/admin":
                self._send(200, device.admin(self._body() if method == "POST" else None))
                return
            if device.outage:
                raise SimulatorError(503, "unavailable", "the device is unavailable (outage)")
            if method == "GET" and path in ("/info", "/health"):
                self._send(200, {"ok": True, **device.info()})
            elif method == "GET" and path == "/export":
                client = parse_qs(url.query).get("client_id", [None])[0]
                self._send(200, device.export(client), "application/x-ndjson")
            elif method == "PUT" and (m := re.fullmatch(r"/clients/([\w.:-]{1,64})", path)):
                self._send(200, device.register(m.group(1)))
            elif method == "POST" and (m := re.fullmatch(r"/clients/([\w.:-]{1,64})/close", path)):
                self._send(200, device.daily_close(m.group(1), self._body()))
            elif method == "PUT" and (m := re.fullmatch(r"/tx/([\w-]{1,64})", path)):
                body = self._body()
                tx = device.transaction(m.group(1), body)
                if body.get("state") == "FINISHED" and device.delay > 0:
                    with device.lock:
                        device.finishing += 1
                    try:
                        device.released.wait(device.delay)
                    finally:
                        with device.lock:
                            device.finishing -= 1
                self._send(200, tx)
            else:
                raise SimulatorError(404, "not_found", f"no {method} {path}")
        except SimulatorError as exc:
            self._send(exc.status, {"error": exc.code, "detail": exc.detail})

    def do_GET(self) -> None:
        self._route("GET")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_POST(self) -> None:
        self._route("POST")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], device: DeviceState) -> None:
        self.device = device
        super().__init__(address, _Handler)


class Simulator:
    """The simulator in a thread of this process (tests): :meth:`start`, :meth:`stop` (the
    port closes: the device is *down*), :meth:`start` again on the same port (it is *back*,
    the same device)."""

    def __init__(self, state: DeviceState | None = None, host: str = "127.0.0.1") -> None:
        self.device = state or DeviceState()
        self.host = host
        self.port = 0
        self.server: _Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Simulator:
        self.server = _Server((self.host, self.port), self.device)
        self.server.allow_reuse_address = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.device.released.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0: any free port")
    parser.add_argument(
        "--state",
        type=Path,
        help="a JSON file keeping the device (key, counters, log) across restarts",
    )


def serve(args: argparse.Namespace) -> int:
    device = DeviceState(args.state)
    server = _Server((args.host, args.port), device)
    port = server.server_address[1]
    print(
        f"OpenTill TSE simulator {device.serial[:16]}… listening on http://{args.host}:{port}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="opentill-tse-simulator", description=__doc__)
    add_arguments(parser)
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
