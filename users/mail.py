"""Account mail: every message has a plain-text and an HTML body rendered from
users/templates/users/mail/<name>.txt|.html and a one-line subject from <name>_subject.txt,
with the site's name; links in it are absolute, built by the caller from the request (its
host and scheme as the proxy passes them on, see README "Mail")."""

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# Mail that must leave after the answer: a small pool per process, so a slow mail server
# holds no request thread. Its threads finish their mail before the process exits.
_background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="account-mail")


def send_account_mail(*, to: str, name: str, context: dict[str, Any]) -> bool:
    """Send the `name` message to one address now. Returns False when the mail server did
    not take it (logged): no page fails because mail is down."""
    return _deliver(_compose(to=to, name=name, context=context), name)


def send_account_mail_later(*, to: str, name: str, context: dict[str, Any]) -> Future[bool]:
    """Send the `name` message from a background thread, so the answer takes the same time
    whether or not a mail goes out: for the pages that must not tell which addresses have
    accounts (password reset, resending a verification link). The message is complete
    before it is handed over (its link reads nothing that the request writes)."""
    return _background.submit(_deliver, _compose(to=to, name=name, context=context), name)


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


def _deliver(message: EmailMultiAlternatives, name: str) -> bool:
    try:
        message.send()
    except Exception:  # smtplib's errors, refused connections, timeouts: all of them
        logger.exception("could not send the %s mail", name)
        return False
    return True
