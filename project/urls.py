from django.contrib import admin
from django.urls import include, path, re_path

from api import pages as api_pages
from core.views import favicon, healthz, livez, metrics
from users.tasks.views import operations

urlpatterns = [
    path("", include("cookbook.urls")),
    path("accounts/api-keys/", api_pages.api_keys, name="api_keys"),
    path("accounts/api-keys/<str:key_id>/revoke/", api_pages.revoke, name="api_key_revoke"),
    path("accounts/", include("users.accounts.urls")),
    path("students/", include("students.urls")),
    path("core/", include("core.documents.urls")),
    # django-rq serves its own Prometheus page once prometheus_client is installed; ours
    # (/metrics) has its queue metrics and more, and theirs keeps a `name[]` filter for every
    # later scrape (a module-level registry replaced in place), then fails with a 500.
    re_path(r"^(?:admin/django_rq/dashboard|django-rq)/metrics/?$", metrics),
    path("admin/", admin.site.urls),
    path("django-rq/", include("django_rq.urls")),
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("favicon.ico", favicon),
    path("metrics", metrics, name="metrics"),
    path("result/", include("users.tasks.urls")),
    path("operations/", operations, name="operations"),
    path("api/", include("api.urls")),
]

# Error pages in the client's format that never repeat the request or internal detail.
handler400 = "core.error_pages.bad_request"
handler403 = "core.error_pages.permission_denied"
handler404 = "core.error_pages.page_not_found"
handler500 = "core.error_pages.server_error"
