"""How API clients say who they are: JWT access tokens (simplejwt), API keys
(`Authorization: Api-Key <key>`) and the browser's session with its CSRF token."""

from typing import Any, cast

from django.http import QueryDict
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import Token

from api.selectors import usable_api_key
from api.services import note_api_key_use
from api.tokens import check_token_credentials
from users.models import CustomUser


class BearerJWTAuthentication(JWTAuthentication):
    """`Authorization: Bearer <access token>`, of the account's current credentials
    (api.tokens); its challenge names the realm."""

    www_authenticate_realm = "api"

    def get_user(self, validated_token: Token) -> Any:
        user = super().get_user(validated_token)
        check_token_credentials(validated_token, cast(CustomUser, user))
        return user


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`: the key's owner, with the key as `request.auth`."""

    keyword = KeyParser.keyword

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        key = KeyParser().get(request)
        if key is None:
            return None
        api_key = usable_api_key(key.strip())
        if api_key is None:
            raise AuthenticationFailed("This API key is not valid, or it was revoked.")
        note_api_key_use(api_key=api_key)
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class HeaderCSRFSessionAuthentication(SessionAuthentication):
    """The browser's session. Unsafe requests carry the CSRF token in the `X-CSRFToken`
    header (as `App.requestJSON` sends it), never in the body: the check must not read the
    body before the view has put its limits on it (uploads, core.documents.uploads)."""

    def enforce_csrf(self, request: Request) -> None:
        super().enforce_csrf(HeadersOnly(request))


class HeadersOnly:
    """A request as the CSRF check reads it: everything of `request` but its body, whose
    form fields read empty (Django's check looks there first for a POST's token)."""

    def __init__(self, request: Request) -> None:
        self.wrapped = request

    @property
    def POST(self) -> QueryDict:
        return QueryDict()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)
