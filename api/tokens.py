"""JWTs that end with the account's credentials.

Every token carries the account's credentials fingerprint (`CustomUser.credentials_fingerprint`):
a password change, a password reset or a "log out everywhere" changes it, and every access and
refresh token issued before stops working at once, as the sessions do. (simplejwt's own
CHECK_REVOKE_TOKEN covers the password only, puts a hash of the password hash in the token,
and is not checked when a refresh token is traded.)
"""

from typing import Any

from django.utils.crypto import constant_time_compare
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token

from users.models import CustomUser

CREDENTIALS_CLAIM = "cred"
ENDED = "This token ended: the password changed or the account logged out everywhere."


def tokens_for(user: CustomUser) -> RefreshToken:
    """A refresh token (and through it, access tokens) for the user's current credentials."""
    refresh = RefreshToken.for_user(user)
    refresh[CREDENTIALS_CLAIM] = user.credentials_fingerprint()
    return refresh


def check_token_credentials(token: Token, user: CustomUser) -> None:
    """Raise AuthenticationFailed (a 401) when the token predates the user's credentials."""
    claimed = str(token.get(CREDENTIALS_CLAIM, ""))
    if not constant_time_compare(claimed, user.credentials_fingerprint()):
        raise AuthenticationFailed(ENDED, code="token_not_valid")


class CurrentCredentialsRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh with rotation, for refresh tokens of the current credentials."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])  # TokenError: the view answers a 401
        user_id = refresh.payload.get(api_settings.USER_ID_CLAIM)
        user = CustomUser.objects.filter(pk=str(user_id), is_active=True).first()
        if user is None:
            raise AuthenticationFailed(
                "No active account has this token.", code="no_active_account"
            )
        check_token_credentials(refresh, user)
        return super().validate(attrs)
