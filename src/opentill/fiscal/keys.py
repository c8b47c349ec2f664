"""The signing key of the fiscal journal: Ed25519, kept outside the database.

The private key is a PEM file (PKCS #8, unencrypted, mode 0600): ``OPENTILL_FISCAL_KEY`` when
set, else ``fiscal_key.pem`` in the data directory, created at first use. Its public half is
stored in the ``FiscalKey`` table (by the journal, :mod:`opentill.fiscal.services`), so
records signed before a rotation stay verifiable. A key's id is the first 16 hex digits of
the SHA-256 of its raw 32-byte public key.
"""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from opentill.fiscal.canonical import key_id_of

FILE_NAME = "fiscal_key.pem"


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def private_pem(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class Signer:
    """A private key with its id and public PEM."""

    private: Ed25519PrivateKey
    key_id: str
    public_pem: str

    @classmethod
    def of(cls, private: Ed25519PrivateKey) -> Signer:
        public = private.public_key()
        return cls(private, key_id_of(public), public_pem(public))

    def sign(self, message: bytes) -> str:
        """The base64 (standard alphabet, padded) Ed25519 signature of ``message``."""
        return base64.b64encode(self.private.sign(message)).decode("ascii")


def key_path() -> Path:
    """Where the private key lives: the setting ``OPENTILL_FISCAL_KEY``, else the data dir."""
    from django.conf import settings

    configured = getattr(settings, "OPENTILL_FISCAL_KEY", None)
    if configured:
        return Path(configured)
    return Path(settings.DATA_DIR) / FILE_NAME


def write_private(path: Path, private: Ed25519PrivateKey) -> None:
    """Write a key file readable by its owner alone; refuses to overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private_pem(private))


def read_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds no Ed25519 private key")
    return key


def load_or_create(path: Path) -> Signer:
    """The key at ``path``, created (mode 0600) when there is none."""
    if not path.exists():
        try:
            write_private(path, Ed25519PrivateKey.generate())
        except FileExistsError:  # another process created it meanwhile: use theirs
            pass
    return Signer.of(read_private(path))


_cache: dict[tuple[str, int], Signer] = {}
_lock = threading.Lock()


def current_signer() -> Signer:
    """The key that signs now (read once per file and modification time)."""
    path = key_path()
    with _lock:
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = -1
        cached = _cache.get((str(path), stamp))
        if cached is not None:
            return cached
        signer = load_or_create(path)
        _cache.clear()
        _cache[(str(path), path.stat().st_mtime_ns)] = signer
        return signer
