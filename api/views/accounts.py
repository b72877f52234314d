"""Who the client is and how it proves it: `me`, JWT tokens (obtain, refresh with rotation,
logout that blacklists the refresh token), API keys, and websocket tickets."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from api.models import UserAPIKey
from api.schema import error_response
from api.selectors import api_key_of, api_keys_of
from api.serializers import (
    ApiKeySerializer,
    LogoutSerializer,
    MeSerializer,
    NewApiKeySerializer,
    WebsocketTicketSerializer,
)
from api.services import create_api_key, revoke_api_key
from api.tickets import ticket_credential
from api.tokens import CurrentCredentialsRefreshSerializer, tokens_for
from core.websocket_url import websocket_url_for
from users.sockets.tickets import issue_websocket_ticket

TOKENS_EXAMPLE = {"access": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…", "refresh": "eyJhbGciOi…"}
API_KEY_EXAMPLE = {
    "id": "Xr4bS2Qk.pbkdf2…",
    "name": "nightly export",
    "prefix": "Xr4bS2Qk",
    "created": "2026-01-02T10:00:00Z",
    "last_used": None,
    "expiry_date": None,
}


class MeView(APIView):
    @extend_schema(
        summary="The account making the request",
        responses=MeSerializer,
        examples=[
            OpenApiExample(
                "Me",
                value={
                    "id": 1,
                    "email": "ada@example.com",
                    "is_staff": False,
                    "date_joined": "2026-01-02T10:00:00Z",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class BearerChallengeMixin:
    """For endpoints that take no credentials (they hand them out or end them): a refusal
    is still a 401 with the Bearer challenge, not a 403."""

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenObtainSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, write_only=True)
    password = serializers.CharField(trim_whitespace=False, max_length=4096, write_only=True)
    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


class TokenObtainView(BearerChallengeMixin, APIView):
    """Email and password for an access token and a refresh token. The log-in goes through
    the same lockouts as the login page (users.accounts.lockout: 429 with Retry-After)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Get a JWT access token and refresh token",
        request=TokenObtainSerializer,
        responses={
            200: TokenObtainSerializer,
            401: error_response(
                "The email and password do not match an active account.",
                {"error": "No active account has this email and password."},
            ),
        },
        examples=[
            OpenApiExample(
                "Log in",
                value={"email": "ada@example.com", "password": "correct horse battery"},
                request_only=True,
            ),
            OpenApiExample("Tokens", value=TOKENS_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        credentials = TokenObtainSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # `username` is the name Django's backends and django-axes count log-ins by. Axes
        # marks a locked-out login on the request it is given, and its middleware answers the
        # lockout (users.accounts.lockout's 429) from that mark on Django's request: give it
        # that one.
        user = authenticate(
            request._request,
            username=credentials.validated_data["email"].strip(),
            password=credentials.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise AuthenticationFailed("No active account has this email and password.")
        refresh = tokens_for(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


@extend_schema_view(
    post=extend_schema(
        summary="Trade a refresh token for a new access token and a new refresh token "
        "(the old refresh token stops working)",
        request=TokenRefreshSerializer,
        responses={200: TokenRefreshSerializer},
        examples=[
            OpenApiExample("Refresh", value={"refresh": "eyJhbGciOi…"}, request_only=True),
            OpenApiExample("Tokens", value=TOKENS_EXAMPLE, response_only=True),
        ],
    )
)
class TokenRotateView(BearerChallengeMixin, TokenRefreshView):
    """simplejwt's refresh view (no credentials needed), with our challenge, for refresh
    tokens of the account's current credentials."""

    serializer_class = CurrentCredentialsRefreshSerializer


class LogoutView(BearerChallengeMixin, APIView):
    """Ends a refresh token: it is blacklisted and refreshes no more. (Access tokens end
    by themselves within their short lifetime.)"""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Log out: blacklist the refresh token",
        request=LogoutSerializer,
        responses={204: None},
        examples=[OpenApiExample("Log out", value={"refresh": "eyJhbGciOi…"}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        body = LogoutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            RefreshToken(body.validated_data["refresh"]).blacklist()
        except TokenError:
            raise AuthenticationFailed("This refresh token is not valid or has expired.") from None
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="Your API keys that still work (never the keys themselves)",
        examples=[OpenApiExample("Keys", value=[API_KEY_EXAMPLE], response_only=True)],
    ),
    create=extend_schema(
        summary="Create an API key: the answer holds the key, shown this once",
        request=ApiKeySerializer,
        responses={201: NewApiKeySerializer},
        examples=[
            OpenApiExample("New key", value={"name": "nightly export"}, request_only=True),
            OpenApiExample(
                "Created",
                value={**API_KEY_EXAMPLE, "key": "Xr4bS2Qk.Kp0x…"},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    ),
    destroy=extend_schema(summary="Revoke an API key (for good)", responses={204: None}),
)
class ApiKeyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[UserAPIKey]):
    serializer_class = ApiKeySerializer
    pagination_class = None
    lookup_value_regex = "[^/]+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return api_keys_of(self.request.user)

    def create(self, request: Request) -> Response:
        body = ApiKeySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        api_key, key = create_api_key(user=request.user, name=body.validated_data["name"])
        data = {**ApiKeySerializer(api_key).data, "key": key}
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        api_key = api_key_of(request.user, pk)
        if api_key is None:
            raise NotFound("You have no API key with this id.")
        revoke_api_key(api_key=api_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebsocketTicketView(APIView):
    @extend_schema(
        summary="A single-use ticket to open the task websocket without a session",
        request=None,
        responses={201: WebsocketTicketSerializer},
        examples=[
            OpenApiExample(
                "Ticket",
                value={
                    "ticket": "q3V…",
                    "expires_in": 30,
                    "url": "wss://example.com/ws/task/?ticket=q3V…",
                },
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    def post(self, request: Request) -> Response:
        credential, detail = ticket_credential(request)
        ticket = issue_websocket_ticket(
            user_id=request.user.pk, credential=credential, detail=detail
        )
        url = websocket_url_for(request)
        if not url.startswith(("ws://", "wss://")):
            scheme = "wss" if request.is_secure() else "ws"
            url = f"{scheme}://{request.get_host()}{url}"
        data = {
            "ticket": ticket,
            "expires_in": settings.WEBSOCKET_TICKET_SECONDS,
            "url": f"{url}?{urlencode({'ticket': ticket})}",
        }
        return Response(data, status=status.HTTP_201_CREATED)
