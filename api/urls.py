"""/api/v1/... (the REST API), /api/schema/ (its OpenAPI 3 document) and /api/docs/ (the
document rendered by Swagger UI from our own static files)."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from api.views.accounts import (
    ApiKeyViewSet,
    LogoutView,
    MeView,
    TokenObtainView,
    TokenRotateView,
    WebsocketTicketView,
)
from api.views.cookbook import FoodViewSet, RecipeViewSet
from api.views.documents import DocumentListView, FolderListView, FolderZipView
from api.views.students import StudentViewSet
from api.views.tasks import TaskViewSet

app_name = "api"

router = SimpleRouter()
router.register("recipes", RecipeViewSet, basename="recipe")
router.register("foods", FoodViewSet, basename="food")
router.register("students", StudentViewSet, basename="student")
router.register("tasks", TaskViewSet, basename="task")
router.register("api-keys", ApiKeyViewSet, basename="api-key")

v1: list[URLPattern | URLResolver] = [
    *router.urls,
    path("me/", MeView.as_view(), name="me"),
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("auth/token/refresh/", TokenRotateView.as_view(), name="token-refresh"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    path("folders/", FolderListView.as_view(), name="folder-list"),
    path("folders/<str:folder>/zip/", FolderZipView.as_view(), name="folder-zip"),
    path("documents/", DocumentListView.as_view(), name="document-list"),
    path("ws-ticket/", WebsocketTicketView.as_view(), name="ws-ticket"),
]


class SchemaView(SpectacularAPIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar's static files, its start-up script served
    as a file (`?script`): nothing inline, so the site's CSP holds."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    template_name = "api/swagger_ui.html"


urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
]
