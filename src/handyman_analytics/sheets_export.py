"""Google Sheets export through gspread and a service account: one row per day and client,
updated in place when a day is computed again, never appended twice.

The worksheet's first row is the header; rows are found by their date and client (columns A
and B). All of a run's rows are written in one `values:batchUpdate`, after growing the grid
if new rows would not fit (the API refuses writes beyond it).

`api_root` replaces Google's addresses (sheets.googleapis.com, www.googleapis.com) with another
server speaking the same API: a proxy, or the local fake the tests run. The service account's
own `token_uri` decides where tokens come from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import requests
from attrs import frozen
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from handyman_core.daily_report import REPORT_COLUMNS, ReportRow, row_key

GOOGLE_ROOTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive.readonly",
)
NEW_WORKSHEET_ROWS = 1000


@frozen
class SheetsSettings:
    service_account_file: Path
    spreadsheet_key: str | None = None
    spreadsheet_name: str | None = None
    """The key (from the spreadsheet's URL) or, failing that, the title to look up in Drive."""
    worksheet: str = "daily"
    api_root: str | None = None
    timeout_seconds: float = 60.0


@frozen
class SheetsResult:
    updated: int
    added: int


class SheetsExportError(Exception):
    """gspread or the API failed; the message says which step."""


def export_rows(settings: SheetsSettings, rows: Sequence[ReportRow]) -> SheetsResult:
    """Write `rows`; raises SheetsExportError. gspread and google-auth are the optional
    `sheets` extra, imported here so that everything else works without them."""
    try:
        import gspread  # noqa: PLC0415
        from google.oauth2.service_account import Credentials  # noqa: PLC0415
    except ImportError as error:
        raise SheetsExportError(
            f"Google Sheets needs the sheets extra (pip install 'handyman[sheets]'): {error}"
        ) from None
    try:
        credentials = Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            str(settings.service_account_file), scopes=SCOPES
        )
        client = gspread.Client(auth=credentials, session=_session(credentials, settings))
        client.set_timeout(settings.timeout_seconds)
        spreadsheet = (
            client.open_by_key(settings.spreadsheet_key)
            if settings.spreadsheet_key
            else client.open(settings.spreadsheet_name or "")
        )
        try:
            worksheet = spreadsheet.worksheet(settings.worksheet)
        except gspread.WorksheetNotFound:
            worksheet = spreadsheet.add_worksheet(
                settings.worksheet, rows=NEW_WORKSHEET_ROWS, cols=len(REPORT_COLUMNS)
            )
        return _write(worksheet, rows)
    except (gspread.exceptions.GSpreadException, OSError, ValueError) as error:
        raise SheetsExportError(f"{type(error).__name__}: {error}") from error


def _write(worksheet: Any, rows: Sequence[ReportRow]) -> SheetsResult:
    existing: list[list[str]] = worksheet.get_all_values()
    row_of: dict[tuple[str, str], int] = {}
    for number, values in enumerate(existing[1:], start=2):
        padded = [*values, "", ""]
        row_of.setdefault((padded[0], padded[1]), number)
    updates: list[dict[str, Any]] = [{"range": _row_range(1), "values": [list(REPORT_COLUMNS)]}]
    next_row = max(len(existing), 1) + 1
    added = 0
    for row in rows:
        found = row_of.get(row_key(row))
        if found is None:
            found = row_of[row_key(row)] = next_row
            next_row += 1
            added += 1
        updates.append({"range": _row_range(found), "values": [list(row)]})
    if next_row - 1 > worksheet.row_count:
        worksheet.add_rows(next_row - 1 - worksheet.row_count)
    worksheet.batch_update(updates, value_input_option="RAW")
    return SheetsResult(updated=len(rows) - added, added=added)


def _row_range(number: int) -> str:
    last_column = chr(ord("A") + len(REPORT_COLUMNS) - 1)
    return f"A{number}:{last_column}{number}"


def _session(credentials: Any, settings: SheetsSettings) -> requests.Session:
    from google.auth.transport.requests import AuthorizedSession  # noqa: PLC0415

    session: requests.Session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
    if settings.api_root:
        adapter = _RerootingAdapter(settings.api_root.rstrip("/"))
        for google_root in GOOGLE_ROOTS:
            session.mount(google_root, adapter)
    return session


class _RerootingAdapter(HTTPAdapter):
    """Sends requests meant for Google's API hosts to `root` instead."""

    def __init__(self, root: str) -> None:
        super().__init__()
        self._root = root

    def send(  # noqa: PLR0917 (requests' own signature)
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        url = request.url or ""
        for google_root in GOOGLE_ROOTS:
            if url.startswith(google_root):
                request.url = self._root + url[len(google_root) :]
                break
        return super().send(request, stream, timeout, verify, cert, proxies)
