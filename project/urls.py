from django.contrib import admin
from django.urls import include, path

from core.views import healthz

urlpatterns = [
    path("", include("cookbook.urls")),
    path("accounts/", include("users.urls")),
    path("students/", include("students.urls")),
    path("core/", include("core.urls")),
    path("admin/", admin.site.urls),
    path("django-rq/", include("django_rq.urls")),
    path("healthz", healthz, name="healthz"),
    path("result/", include("users.task_urls")),
]
