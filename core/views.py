"""The platform's own pages: health, liveness, metrics and the favicon."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from core.health import cached_component_health
from core.metrics import SiteCollector


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Anyone gets the overall status; staff sessions and METRICS_TOKEN get each part."""
    healthy, components = cached_component_health()
    body: dict[str, Any] = {"status": "ok" if healthy else "unavailable"}
    if operator_access(request) == OPERATOR:
        body["components"] = components
    return JsonResponse(body, status=200 if healthy else 503)


OPERATOR, NO_CREDENTIALS, REFUSED = 200, 401, 403


def operator_access(request: HttpRequest) -> int:
    """Whether the request is an operator's: a staff session or the `METRICS_TOKEN` bearer
    token (OPERATOR); otherwise NO_CREDENTIALS (nothing presented) or REFUSED (a wrong
    token, a user who is not staff)."""
    token = settings.METRICS_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        right = bool(token) and constant_time_compare(presented.strip(), token)
        return OPERATOR if right else REFUSED
    if request.user.is_authenticated:
        return OPERATOR if request.user.is_staff else REFUSED
    return NO_CREDENTIALS


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format for staff or the METRICS_TOKEN scraper (core.metrics)."""
    access = operator_access(request)
    if access == NO_CREDENTIALS:
        response = HttpResponse(
            "Send the metrics token (Authorization: Bearer ...) or log in as staff.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if access == REFUSED:
        return HttpResponse(
            "These credentials may not read the metrics.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SiteCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@never_cache
@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is touched (no database, session or cache)."""
    return JsonResponse({"status": "ok"})


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Clients that ask for /favicon.ico without reading the page's icon link get the icon."""
    return redirect(static("favicon.svg"), permanent=True)
