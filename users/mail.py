"""Account mail: every message has a plain-text and an HTML body rendered from
users/templates/users/mail/<name>.txt|.html and a one-line subject from <name>_subject.txt,
with the site's name; links in it are absolute, built by the caller from the request (its
host and scheme as the proxy passes them on, see README "Mail")."""

import logging
import smtplib
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# Mail that must leave after the answer: a small pool per process, so a slow mail server
# holds no request thread. Its threads finish their mail before the process exits.
_background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="account-mail")
# Background mail that meets a temporary failure (a mail server that is down, restarting or
# answering 4xx) is tried again after each of these delays; a permanent refusal (5xx) is not.
RETRY_DELAYS_SECONDS: tuple[float, ...] = (2.0, 10.0, 30.0)


def send_account_mail(*, to: str, name: str, context: dict[str, Any]) -> bool:
    """Send the `name` message to one address now. Returns False when the mail server did
    not take it (logged): no page fails because mail is down."""
    return _deliver(_compose(to=to, name=name, context=context), name)


def send_account_mail_later(*, to: str, name: str, context: dict[str, Any]) -> Future[bool]:
    """Send the `name` message from a background thread, so the answer takes the same time
    whether or not a mail goes out: for the pages that must not tell which addresses have
    accounts (password reset, resending a verification link). The message is complete
    before it is handed over (its link reads nothing that the request writes)."""
    message = _compose(to=to, name=name, context=context)
    return _background.submit(_deliver, message, name, retry_delays=RETRY_DELAYS_SECONDS)


def _compose(*, to: str, name: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    context = {"site_name": settings.SITE_NAME, **context}
    subject = render_to_string(f"users/mail/{name}_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string(f"users/mail/{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        # The backend and its server as configured now, not when a background thread runs.
        connection=get_connection(),
    )
    message.attach_alternative(render_to_string(f"users/mail/{name}.html", context), "text/html")
    return message


def _deliver(
    message: EmailMultiAlternatives, name: str, *, retry_delays: Sequence[float] = ()
) -> bool:
    for attempt, delay in enumerate((*retry_delays, None), start=1):
        try:
            message.send()
        except Exception as exc:  # smtplib's errors, refused connections, timeouts: all
            if delay is None or not is_temporary_mail_failure(exc):
                logger.exception("could not send the %s mail (attempt %d)", name, attempt)
                return False
            logger.warning(
                "could not send the %s mail (attempt %d), trying again in %g s: %r",
                name,
                attempt,
                delay,
                exc,
            )
            time.sleep(delay)
        else:
            return True
    return False


def is_temporary_mail_failure(exc: BaseException) -> bool:
    """A failure that sending again later may get past: a 4xx reply, a server that closed
    the connection, or one that could not be reached (refused, reset, timed out)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    # Other SMTP errors (no TLS, an unsupported command) are permanent; smtplib's errors are
    # OSErrors too, so they are settled first.
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)
