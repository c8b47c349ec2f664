"""The web POS terminal: one page (and its service worker) served at /terminal/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache


@never_cache
def terminal(request: HttpRequest) -> HttpResponse:
    return render(request, "terminal/index.html")
