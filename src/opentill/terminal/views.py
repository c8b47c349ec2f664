"""The web POS terminal: one page and its service worker, served at /terminal/."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

STATIC_DIR = Path(__file__).resolve().parent / "static" / "terminal"
TEMPLATE = Path(__file__).resolve().parent / "templates" / "terminal" / "index.html"
SHELL_SUFFIXES = (".js", ".css", ".svg", ".png", ".woff2")


@never_cache
def terminal(request: HttpRequest) -> HttpResponse:
    return render(request, "terminal/index.html")


def _shell_files() -> list[Path]:
    return sorted(
        p
        for p in STATIC_DIR.rglob("*")
        if p.is_file() and p.suffix in SHELL_SUFFIXES and p.name != "sw.js"
    )


def _service_worker_source() -> str:
    """The worker's code, with the shell's URLs and a version that changes with any file."""
    files = _shell_files()
    digest = hashlib.sha256()
    for path in [TEMPLATE, STATIC_DIR / "sw.js", *files]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    shell = ["/terminal/"] + [
        static(f"terminal/{p.relative_to(STATIC_DIR).as_posix()}") for p in files
    ]
    header = (
        f"const VERSION = {json.dumps(digest.hexdigest()[:16])};\n"
        f"const SHELL = {json.dumps(shell, indent=2)};\n\n"
    )
    return header + (STATIC_DIR / "sw.js").read_text(encoding="utf-8")


_cached_source = lru_cache(maxsize=1)(_service_worker_source)


def service_worker(request: HttpRequest) -> HttpResponse:
    """/terminal/sw.js: served from /terminal/ so that its scope covers the terminal."""
    source = _service_worker_source() if settings.DEBUG else _cached_source()
    response = HttpResponse(source, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/terminal/"
    # Browsers check the worker for updates; never let a cache answer for it.
    response["Cache-Control"] = "no-cache, max-age=0"
    return response
