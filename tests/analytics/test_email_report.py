"""The summary e-mail through a real SMTP server started by the test: implicit TLS and
STARTTLS with a login, a plain-text part and an HTML table with the report's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs
import pytest

from handyman_analytics.email_report import (
    EmailError,
    EmailSettings,
    daily_report_message,
    failure_message,
    send,
)
from handyman_core.daily_report import REPORT_COLUMNS, ReportRow
from tests.analytics.smtp_server import PASSWORD, USERNAME, Mailbox, smtp_server
from tests.loopback import free_port

ROW: ReportRow = ("2026-12-02", "uni", "UTC", 10, 8, 2, 6, 0.75, 4, 3, "t1 1/5")


def settings(mailbox: Mailbox, security: Literal["ssl", "starttls"]) -> EmailSettings:
    return EmailSettings(
        host="127.0.0.1",
        port=mailbox.port,
        security=security,
        sender=USERNAME,
        recipients=("team@example.org", "lead@example.org"),
        username=USERNAME,
        ca_file=mailbox.ca_file,
        timeout_seconds=10,
    )


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_the_summary_reaches_the_server_over_tls_with_a_login(
    tmp_path: Path, security: Literal["ssl", "starttls"]
) -> None:
    with smtp_server(tmp_path, security) as mailbox:
        email = settings(mailbox, security)
        send(email, PASSWORD, daily_report_message(email, "Statistics for 2026-12-02", [ROW]))

    [message] = mailbox.messages
    assert message["Subject"] == "Statistics for 2026-12-02"
    assert mailbox.recipients == [["team@example.org", "lead@example.org"]]
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert "attempts: 10, submits: 8" in plain.get_content()
    html_text = html.get_content()
    assert "".join(f"<th>{name}</th>" for name in REPORT_COLUMNS) in html_text
    assert "<td>0.75</td><td>4</td><td>3</td><td>t1 1/5</td>" in html_text


def test_a_wrong_password_is_an_email_error(tmp_path: Path) -> None:
    with smtp_server(tmp_path, "starttls") as mailbox:
        email = settings(mailbox, "starttls")
        with pytest.raises(EmailError):
            send(email, "wrong", failure_message(email, "failed", "because"))

    assert mailbox.messages == []


def test_a_certificate_from_an_unknown_authority_is_refused(tmp_path: Path) -> None:
    with smtp_server(tmp_path, "ssl") as mailbox:
        email = attrs.evolve(settings(mailbox, "ssl"), ca_file=None)
        with pytest.raises(EmailError):
            send(email, PASSWORD, failure_message(email, "failed", "because"))

    assert mailbox.messages == []


def test_an_unreachable_server_is_an_email_error() -> None:
    email = EmailSettings(
        host="127.0.0.1", port=free_port(), sender="a@b", recipients=("c@d",), timeout_seconds=2
    )

    with pytest.raises(EmailError):
        send(email, None, failure_message(email, "failed", "because"))


def test_html_in_the_figures_is_escaped() -> None:
    email = EmailSettings(host="h", sender="a@b", recipients=("c@d",))
    row = (*ROW[:1], "<script>", *ROW[2:])

    message = daily_report_message(email, "t", [row])

    html = message.get_body(preferencelist=("html",))
    assert html is not None and "&lt;script&gt;" in html.get_content()
    assert "<script>" not in html.get_content()
