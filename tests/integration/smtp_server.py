"""A real SMTP server (aiosmtpd) for the mail tests: it keeps what it receives and can be told to refuse."""

from __future__ import annotations

import email
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """What the server accepted, and the answers it gives instead of accepting."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    #: SMTP answers to give to the next DATA commands, in order (e.g. "451 4.3.0 try later").
    refusals: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refusals:
            return self.refusals.pop(0)
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def body(self, i: int) -> str:
        """The plain-text body of the i-th accepted message."""
        text = self.messages[i].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        return text.replace("\r\n", "\n")


class SmtpServer:
    """aiosmtpd on 127.0.0.1 requiring SMTP AUTH (LOGIN/PLAIN without TLS, as a relay on a private network)."""

    def __init__(self, username: str, password: str) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.username, self.password = username, password
        self.controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            auth_required=True,
            auth_require_tls=False,
            authenticator=self._authenticate,
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if (login, password) == (self.username, self.password):
                self.inbox.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
