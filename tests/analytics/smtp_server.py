"""A real SMTP server for the tests (aiosmtpd) on loopback, with TLS from a throwaway
certificate authority (trustme): implicit TLS or STARTTLS, and a login it checks."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from attrs import define, field

from tests.loopback import free_port

USERNAME = "stats@example.org"
PASSWORD = "smtp-secret"


@define
class Mailbox:
    messages: list[EmailMessage] = field(factory=list)
    recipients: list[list[str]] = field(factory=list)
    port: int = 0
    ca_file: Path = Path()

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USERNAME.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(tmp_path: Path, security: Literal["ssl", "starttls"]) -> Iterator[Mailbox]:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    ca_file = tmp_path / "smtp-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    mailbox = Mailbox(port=free_port(), ca_file=ca_file)
    options: dict[str, Any] = {
        "authenticator": _authenticate,
        "auth_required": True,
    }
    if security == "ssl":
        # aiosmtpd cannot see that an implicit-TLS socket is encrypted; it is.
        options.update(ssl_context=context, auth_require_tls=False)
    else:
        options.update(tls_context=context, require_starttls=True)
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, **options)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
