"""The e-mail that tells the team the job is done: a plain-text summary and an HTML table of
the day's figures (the same report rows as the CSV file and the spreadsheet), sent with
smtplib over implicit TLS (`ssl`, usually port 465) or STARTTLS (usually 587).

A server certificate is always verified, against the system's authorities or `ca_file`.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape
from pathlib import Path
from typing import Literal

from attrs import frozen

from handyman_core.daily_report import REPORT_COLUMNS, ReportRow

Security = Literal["ssl", "starttls", "none"]


@frozen
class EmailSettings:
    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 465
    security: Security = "ssl"
    username: str | None = None
    ca_file: Path | None = None
    timeout_seconds: float = 30.0


class EmailError(Exception):
    """The message could not be handed to the SMTP server."""


def daily_report_message(
    settings: EmailSettings, title: str, rows: Sequence[ReportRow], notes: Sequence[str] = ()
) -> EmailMessage:
    message = _message(settings, title)
    lines = [title, ""]
    for row in rows:
        lines.append(
            ", ".join(f"{name}: {value}" for name, value in zip(REPORT_COLUMNS, row, strict=True))
        )
    if not rows:
        lines.append("No attempts in this period.")
    lines.extend(["", *notes])
    message.set_content("\n".join(lines).rstrip() + "\n")
    header = "".join(f"<th>{escape(name)}</th>" for name in REPORT_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(value))}</td>" for value in row) + "</tr>"
        for row in rows
    )
    notes_html = "".join(f"<p>{escape(note)}</p>" for note in notes)
    message.add_alternative(
        f"<html><body><h2>{escape(title)}</h2>"
        f'<table border="1" cellpadding="4" cellspacing="0">'
        f"<thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
        f"{notes_html}</body></html>",
        subtype="html",
    )
    return message


def failure_message(settings: EmailSettings, title: str, problem: str) -> EmailMessage:
    message = _message(settings, title)
    message.set_content(f"{title}\n\n{problem}\n")
    return message


def send(settings: EmailSettings, password: str | None, message: EmailMessage) -> None:
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    try:
        if settings.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout_seconds, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.username:
                smtp.login(settings.username, password or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise EmailError(f"{type(error).__name__}: {error}") from error


def _message(settings: EmailSettings, title: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    return message
