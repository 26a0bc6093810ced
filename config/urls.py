from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from mizan.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    # Providers' receipts and citizens' texts: machine to machine, no language prefix.
    path("sms/", include("mizan.notifications.urls")),
    # The mobile app's and partners' JSON API: language from Accept-Language, no prefix.
    path("api/v1/", api.urls),
    # /healthz, /readyz, /metrics: for load balancers and Prometheus, no language prefix.
    path("", include("mizan.ops.urls")),
    # Open-data files: stable addresses, the same in every language.
    path("transparency/data/", include("mizan.transparency.file_urls")),
]
urlpatterns += i18n_patterns(
    # An office's API keys for its software (mizan.api), managed by its commissaire.
    path("backoffice/exchange/keys/", include("mizan.api.urls")),
    path("backoffice/exchange/", include("mizan.exchange.urls")),
    path("backoffice/", include("mizan.backoffice.urls")),
    path("", include("mizan.appointments.urls")),
    path("", include("mizan.receipts.urls")),
    path("", include("mizan.faq.urls")),
    path("", include("mizan.transparency.urls")),
    path("", include("mizan.portal.urls")),
    prefix_default_language=True,
)
if settings.MIZAN_DEV_OUTBOX:
    urlpatterns += i18n_patterns(path("dev/", include("mizan.notifications.dev_urls")))

if settings.MIZAN_BENCH_FLOOR:
    # The benchmarks' floor: a fixed small page through the whole middleware stack.
    from mizan.core.views import bench_floor

    urlpatterns += i18n_patterns(path("bench/floor/", bench_floor))

handler404 = "mizan.portal.views.page_not_found"
handler500 = "mizan.portal.views.server_error"
handler403 = "mizan.portal.views.permission_denied"
handler400 = "mizan.portal.views.bad_request"
