"""Email verification links: a signed, expiring token naming the account, the address to
prove and the address the account had when the link was made.

Nothing is stored: a link is spent once the account's address (or its verified state) no
longer matches it, so a link of an email change works once, and an older link of the same
account stops working as soon as a newer change is confirmed."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

SALT = "users.email-verification"


@dataclass(frozen=True)
class VerificationClaim:
    user_id: int
    email: str
    # The account's address when the link was made: a change applies only from it.
    previous_email: str


class InvalidVerificationToken(Exception):
    """The link was altered, has expired, or was not made by this site."""


def make_verification_token(*, user_id: int, email: str, previous_email: str) -> str:
    return signing.dumps({"u": user_id, "e": email, "p": previous_email}, salt=SALT)


def read_verification_token(token: str) -> VerificationClaim:
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.ACCOUNT_EMAIL_VERIFICATION_SECONDS)
        return VerificationClaim(user_id=int(data["u"]), email=data["e"], previous_email=data["p"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidVerificationToken from exc
