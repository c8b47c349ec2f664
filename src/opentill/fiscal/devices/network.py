"""The driver of a signing device reached over the network, speaking the simulator's
protocol (:mod:`.simulator` documents it): what a cloud TSE's driver looks like. Pure: the
standard library, no Django.

Every call has a timeout. No answer, a refused or reset connection, a timeout or a 5xx
raise :class:`~.base.DeviceUnavailable` (the job waits and tries again); a 4xx raises
:class:`~.base.DeviceRefused` (the device said no).
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlsplit
from urllib.request import Request, urlopen

from opentill.fiscal.devices.base import (
    DailyClose,
    DeviceRefused,
    DeviceUnavailable,
    DeviceUnregistered,
    Health,
    Registration,
    SignatureBundle,
    Started,
    Transaction,
)


class NetworkDevice:
    """A device at ``url`` (``http://host:port``), each call bounded by ``timeout`` s."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:  # float ok: seconds
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise DeviceRefused(f"the device's address {url!r} is not an http(s) URL")
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[Any, str]:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urlopen(request, timeout=self.timeout) as answer:
                raw = answer.read().decode("utf-8")
        except HTTPError as exc:
            detail = _detail(exc)
            if exc.code >= 500 or exc.code == 429:
                raise DeviceUnavailable(f"{exc.code}: {detail}") from None
            if exc.code == 404 and detail.startswith("unknown_client"):
                raise DeviceUnregistered(f"{exc.code}: {detail}") from None
            raise DeviceRefused(f"{exc.code}: {detail}") from None
        except (URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeviceUnavailable(f"{type(reason).__name__}: {reason}".strip()) from None
        except (http.client.HTTPException, OSError) as exc:
            raise DeviceUnavailable(f"{type(exc).__name__}: {exc}".strip()) from None
        if path.startswith("/export"):
            return None, raw
        try:
            return json.loads(raw), raw
        except ValueError:
            raise DeviceUnavailable("the device's answer is not JSON") from None

    def register_till(self, client_id: str) -> Registration:
        answer, raw = self._call("PUT", f"/clients/{quote(client_id, safe='')}", {})
        return Registration(
            client_id=answer["client_id"],
            serial=answer["serial"],
            algorithm=answer["algorithm"],
            public_key=answer["public_key"],
            response=raw,
        )

    def _tx(self, tx: Transaction, state: str) -> tuple[dict[str, Any], str]:
        answer, raw = self._call(
            "PUT",
            f"/tx/{quote(tx.tx_id, safe='')}",
            {
                "client_id": tx.client_id,
                "state": state,
                "process_type": tx.kind,
                "process_data": tx.process_data,
            },
        )
        if answer.get("tx_id") != tx.tx_id:
            raise DeviceRefused(f"the device answered for {answer.get('tx_id')!r}")
        return answer, raw

    def start_transaction(self, tx: Transaction) -> Started:
        answer, raw = self._tx(tx, "ACTIVE")
        return Started(
            tx_id=tx.tx_id,
            number=int(answer["number"]),
            started=answer["started"],
            revision=int(answer.get("revision", 1)),
            response=raw,
        )

    update_transaction = start_transaction  # ACTIVE again: the device raises the revision

    def finish_transaction(self, tx: Transaction) -> SignatureBundle:
        answer, raw = self._tx(tx, "FINISHED")
        if answer.get("state") != "FINISHED":
            raise DeviceRefused("the device did not finish the transaction")
        return SignatureBundle(
            tx_id=tx.tx_id,
            number=int(answer["number"]),
            counter=int(answer["counter"]),
            started=answer["started"],
            finished=answer["finished"],
            signature=answer["signature"],
            algorithm=answer["algorithm"],
            serial=answer["serial"],
            public_key=answer["public_key"],
            signed_data=answer["signed_data"],
            response=raw,
        )

    def daily_close(self, client_id: str, day: str) -> DailyClose:
        answer, raw = self._call(
            "POST", f"/clients/{quote(client_id, safe='')}/close", {"day": day}
        )
        return DailyClose(
            day=answer["day"],
            counter=int(answer["counter"]),
            signature=answer["signature"],
            signed_data=answer["signed_data"],
            response=raw,
        )

    def export_log(self, client_id: str) -> bytes:
        _, raw = self._call("GET", f"/export?client_id={quote(client_id, safe='')}")
        return raw.encode("utf-8")

    def health(self) -> Health:
        try:
            answer, _ = self._call("GET", "/health")
        except (DeviceUnavailable, DeviceRefused) as exc:
            return Health(ok=False, detail=str(exc))
        return Health(ok=bool(answer.get("ok")), serial=str(answer.get("serial", "")))


def _detail(exc: HTTPError) -> str:
    try:
        body = json.loads(exc.read().decode("utf-8"))
        return f"{body.get('error')}: {body.get('detail')}"
    except (ValueError, OSError, AttributeError):
        return str(exc.reason)
