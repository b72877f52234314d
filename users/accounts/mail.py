"""Account mail: every message has a plain-text and an HTML body rendered from
users/templates/users/mail/<name>.txt|.html and a one-line subject from <name>_subject.txt,
with the site's name; links in it are absolute, built by the caller from the request (its
host and scheme as the proxy passes them on, see README "Mail")."""

import logging
import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# Mail that must leave after the answer: a small pool per process, so a slow mail server
# holds no request thread. Its threads finish their mail before the process exits.
BACKGROUND_MAIL_THREADS = 2
_background = ThreadPoolExecutor(
    max_workers=BACKGROUND_MAIL_THREADS, thread_name_prefix="account-mail"
)
# Background mail that meets a temporary failure (a mail server that is down, restarting or
# answering 4xx) is tried again after each of these delays; a permanent refusal (5xx) is not.
# The wait is a timer, not a pool thread: other mail goes on meanwhile.
RETRY_DELAYS_SECONDS: tuple[float, ...] = (2.0, 10.0, 30.0)


def send_account_mail(*, to: str, name: str, context: dict[str, Any]) -> bool:
    """Send the `name` message to one address now. Returns False when the mail server did
    not take it (logged): no page fails because mail is down."""
    failure = _send(_compose(to=to, name=name, context=context))
    if failure is not None:
        logger.error("could not send the %s mail: %r", name, failure, exc_info=failure)
    return failure is None


def send_account_mail_later(*, to: str, name: str, context: dict[str, Any]) -> None:
    """Send the `name` message from a background thread, so the answer takes the same time
    whether or not a mail goes out: for the pages that must not tell which addresses have
    accounts (password reset, resending a verification link). The message is complete
    before it is handed over (its link reads nothing that the request writes)."""
    message = _compose(to=to, name=name, context=context)
    _background.submit(_send_in_background, message, name, RETRY_DELAYS_SECONDS)


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


def _send(message: EmailMultiAlternatives) -> Exception | None:
    """None when the mail server took the message, else what went wrong."""
    try:
        message.send()
    except Exception as exc:  # smtplib's errors, refused connections, timeouts: all of them
        return exc
    return None


def _send_in_background(
    message: EmailMultiAlternatives, name: str, retry_delays: tuple[float, ...]
) -> None:
    """One attempt; after a temporary failure, the next one once the first of
    `retry_delays` has passed (with the rest of them)."""
    failure = _send(message)
    if failure is None:
        return
    if not retry_delays or not is_temporary_mail_failure(failure):
        logger.error("could not send the %s mail: %r", name, failure, exc_info=failure)
        return
    delay, later = retry_delays[0], retry_delays[1:]
    logger.warning("could not send the %s mail, trying again in %g s: %r", name, delay, failure)
    timer = threading.Timer(delay, _try_again, args=(message, name, later))
    timer.daemon = True
    timer.start()


def _try_again(message: EmailMultiAlternatives, name: str, retry_delays: tuple[float, ...]) -> None:
    try:
        _background.submit(_send_in_background, message, name, retry_delays)
    except RuntimeError:  # the process is exiting: the pool takes no more work
        logger.error("could not send the %s mail: the process exited before its retry", name)


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
