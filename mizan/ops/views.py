"""Health, readiness and metrics: for load balancers, deploy scripts and Prometheus.

Outside the language prefixes, exempt from the HTTPS redirect (probes talk plain HTTP
to each app server), never cached, and they touch no session.
"""

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client.exposition import choose_encoder

from .metrics import scrape_registry
from .readiness import OK, readiness_checks


@never_cache
@require_safe
def healthz(request):
    """The process answers (no database access: a database outage must not make every
    app server look dead and be restarted)."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def readyz(request):
    checks = readiness_checks()
    ready = all(result == OK for result in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


@never_cache
@require_safe
def metrics(request):
    token = settings.MIZAN_METRICS_TOKEN
    if not token:
        raise Http404  # not configured: the endpoint does not exist
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_compare(given.strip(), token):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(scrape_registry()), content_type=content_type)
