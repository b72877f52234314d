"""A real SMTP server on loopback for the tests (aiosmtpd in a thread of the test process):
the site sends to it over SMTP like to any mail server, and tests read what arrived."""

import email
import logging
import re
import threading
import time
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from devtools.processes import free_loopback_port

LINK = re.compile(r"https?://[^\s\"'<>]+")


class Mailbox:
    """Every message the server accepted, in order of arrival."""

    def __init__(self) -> None:
        self._messages: list[EmailMessage] = []
        self._arrived = threading.Condition()
        self._refusals: list[str] = []
        self.attempts = 0

    def refuse_next(self, *replies: str) -> None:
        """Answer the next messages with these SMTP replies (e.g. "451 4.3.0 Try again
        later", "550 5.1.1 No such mailbox") instead of taking them."""
        with self._arrived:
            self._refusals.extend(replies)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=default_policy)
        with self._arrived:
            self.attempts += 1
            if self._refusals:
                return self._refusals.pop(0)
            self._messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._arrived:
            return list(self._messages)

    def clear(self) -> None:
        with self._arrived:
            self._messages.clear()
            self._refusals.clear()
            self.attempts = 0

    def wait_for(self, to: str, *, timeout: float = 10.0) -> EmailMessage:
        """The first message to `to` (waiting up to `timeout` seconds), taken out of the box."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self._messages:
                    if to.lower() in str(message["To"]).lower():
                        self._messages.remove(message)
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no mail to {to} arrived within {timeout} s")
                self._arrived.wait(remaining)


def body(message: EmailMessage, subtype: str) -> str:
    """The text/<subtype> part of a message ("plain" or "html")."""
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        raise AssertionError(f"the mail has no text/{subtype} part")
    return str(part.get_content())


def link_in(message: EmailMessage) -> str:
    """The one link of the plain-text body (account mail carries exactly one)."""
    links: set[str] = set(LINK.findall(body(message, "plain")))
    if len(links) != 1:
        raise AssertionError(f"expected one link in the mail, found {sorted(links)}")
    return links.pop()


class SMTPServer:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_loopback_port()
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SMTPServer":
        # aiosmtpd logs every SMTP command at INFO.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
