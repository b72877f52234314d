"""Account mail: every message has a plain-text and an HTML body rendered from
users/templates/users/mail/<name>.txt|.html and a one-line subject from <name>_subject.txt,
with the site's name; links in it are absolute, built by the caller from the request (its
host and scheme as the proxy passes them on, see README "Mail")."""

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def send_account_mail(*, to: str, name: str, context: dict[str, Any]) -> bool:
    """Send the `name` message to one address. Returns False when the mail server did not
    take it (logged): callers answer the same either way, so no page tells which
    addresses have accounts, and none fails because mail is down."""
    context = {"site_name": settings.SITE_NAME, **context}
    subject = render_to_string(f"users/mail/{name}_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string(f"users/mail/{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"users/mail/{name}.html", context), "text/html")
    try:
        message.send()
    except Exception:  # smtplib's errors, refused connections, timeouts: all of them
        logger.exception("could not send the %s mail", name)
        return False
    return True
