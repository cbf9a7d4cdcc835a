"""A local stand-in for the Google Sheets and Drive HTTP APIs, as much of them as gspread uses
to find a spreadsheet, add a worksheet, read its values, grow its grid and write ranges, plus
an OAuth token endpoint for the service account. No network: it listens on loopback.

It keeps real grid limits (a write beyond the grid is refused as the API does) and answers
values the way the API formats them (strings, trailing empty cells dropped), so the exporter
is tested against the behaviour it meets in production.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from attrs import define, field
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.analytics.scripted_server import Answer, Request, ScriptedServer, scripted_server

TOKEN = "fake-access-token"
_CELLS = re.compile(r"(?P<c1>[A-Z]+)?(?P<r1>\d+)?(?::(?P<c2>[A-Z]+)?(?P<r2>\d+)?)?")


@define
class Worksheet:
    sheet_id: int
    title: str
    rows: int
    columns: int
    cells: dict[tuple[int, int], Any] = field(factory=dict)

    def values(self) -> list[list[str]]:
        """The grid as the API answers it: rows up to the last non-empty one, each up to its
        last non-empty cell, values formatted as strings."""
        if not self.cells:
            return []
        last_row = max(row for row, _ in self.cells)
        table = []
        for row in range(1, last_row + 1):
            columns = [column for r, column in self.cells if r == row]
            width = max(columns, default=0)
            table.append([_formatted(self.cells.get((row, c), "")) for c in range(1, width + 1)])
        return table

    def properties(self, index: int) -> dict[str, Any]:
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": self.rows, "columnCount": self.columns},
        }


@define
class Spreadsheet:
    key: str
    title: str
    worksheets: list[Worksheet] = field(factory=list)

    def worksheet(self, title: str) -> Worksheet | None:
        return next((sheet for sheet in self.worksheets if sheet.title == title), None)


@define
class FakeSheets:
    spreadsheets: dict[str, Spreadsheet] = field(factory=dict)
    tokens_issued: int = 0
    lock: threading.RLock = field(factory=threading.RLock)

    def add_spreadsheet(
        self, key: str, title: str, worksheets: dict[str, int] | None = None
    ) -> Spreadsheet:
        sheet = Spreadsheet(key, title)
        for number, (name, rows) in enumerate((worksheets or {"Sheet1": 1000}).items()):
            sheet.worksheets.append(Worksheet(number, name, rows, 26))
        self.spreadsheets[key] = sheet
        return sheet

    def respond(self, request: Request) -> Answer:
        with self.lock:
            if request.path == "/token":
                self.tokens_issued += 1
                assert b"assertion=" in request.body
                return Answer(
                    body={"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"}
                )
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return _error(401, "UNAUTHENTICATED", "missing or wrong token")
            if request.path == "/drive/v3/files":
                return self._drive_list(request)
            match = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", request.path)
            if match is None or match[1] not in self.spreadsheets:
                return _error(404, "NOT_FOUND", "Requested entity was not found.")
            return self._sheets(self.spreadsheets[match[1]], unquote(match[2]), request)

    def _drive_list(self, request: Request) -> Answer:
        wanted = re.search(r'name = "((?:[^"\\]|\\.)*)"', request.query.get("q", ""))
        files = [
            {
                "id": s.key,
                "name": s.title,
                "createdTime": "2026-01-01T00:00:00.000Z",
                "modifiedTime": "2026-01-01T00:00:00.000Z",
            }
            for s in self.spreadsheets.values()
            if wanted is None or s.title == wanted[1]
        ]
        return Answer(body={"kind": "drive#fileList", "files": files})

    def _sheets(self, spreadsheet: Spreadsheet, rest: str, request: Request) -> Answer:
        if rest == "" and request.method == "GET":
            return Answer(body=_metadata(spreadsheet))
        if rest == ":batchUpdate" and request.method == "POST":
            return self._batch_update(spreadsheet, request.json())
        if rest == "/values:batchUpdate" and request.method == "POST":
            body = request.json()
            assert body["valueInputOption"] == "RAW"
            for item in body["data"]:
                problem = _write(spreadsheet, item["range"], item["values"])
                if problem:
                    return _error(400, "INVALID_ARGUMENT", problem)
            return Answer(body={"spreadsheetId": spreadsheet.key})
        if rest.startswith("/values/") and request.method == "GET":
            sheet, _ = _target(spreadsheet, rest.removeprefix("/values/"))
            if sheet is None:
                return _error(400, "INVALID_ARGUMENT", "Unable to parse range")
            body: dict[str, Any] = {
                "range": rest.removeprefix("/values/"),
                "majorDimension": "ROWS",
            }
            if sheet.values():
                body["values"] = sheet.values()
            return Answer(body=body)
        return _error(404, "NOT_FOUND", f"no such method in the fake: {request.method} {rest}")

    def _batch_update(self, spreadsheet: Spreadsheet, body: dict[str, Any]) -> Answer:
        replies: list[dict[str, Any]] = []
        for change in body["requests"]:
            if "addSheet" in change:
                properties = change["addSheet"]["properties"]
                grid = properties.get("gridProperties", {})
                sheet = Worksheet(
                    max((s.sheet_id for s in spreadsheet.worksheets), default=-1) + 1,
                    properties["title"],
                    grid.get("rowCount", 1000),
                    grid.get("columnCount", 26),
                )
                spreadsheet.worksheets.append(sheet)
                replies.append(
                    {"addSheet": {"properties": sheet.properties(len(spreadsheet.worksheets) - 1)}}
                )
            elif "appendDimension" in change:
                append = change["appendDimension"]
                sheet = _by_id(spreadsheet, append["sheetId"])
                if append["dimension"] == "ROWS":
                    sheet.rows += append["length"]
                else:
                    sheet.columns += append["length"]
                replies.append({})
            elif "updateSheetProperties" in change:
                update = change["updateSheetProperties"]["properties"]
                sheet = _by_id(spreadsheet, update["sheetId"])
                grid = update.get("gridProperties", {})
                sheet.rows = grid.get("rowCount", sheet.rows)
                sheet.columns = grid.get("columnCount", sheet.columns)
                replies.append({})
            else:
                return _error(400, "INVALID_ARGUMENT", f"the fake does not know {list(change)}")
        return Answer(body={"spreadsheetId": spreadsheet.key, "replies": replies})


def _metadata(spreadsheet: Spreadsheet) -> dict[str, Any]:
    return {
        "spreadsheetId": spreadsheet.key,
        "properties": {"title": spreadsheet.title, "locale": "en_US", "timeZone": "Etc/UTC"},
        "sheets": [{"properties": s.properties(i)} for i, s in enumerate(spreadsheet.worksheets)],
    }


def _by_id(spreadsheet: Spreadsheet, sheet_id: int) -> Worksheet:
    return next(sheet for sheet in spreadsheet.worksheets if sheet.sheet_id == sheet_id)


def _target(spreadsheet: Spreadsheet, a1: str) -> tuple[Worksheet | None, re.Match[str] | None]:
    """The worksheet an A1 range names, and the cell part of the range (None: the whole sheet)."""
    if "!" not in a1:
        return spreadsheet.worksheet(_title(a1)), None
    title, cells = a1.rsplit("!", 1)
    return spreadsheet.worksheet(_title(title)), _CELLS.fullmatch(cells)


def _title(quoted: str) -> str:
    if quoted.startswith("'") and quoted.endswith("'"):
        return quoted[1:-1].replace("''", "'")
    return quoted


def _write(spreadsheet: Spreadsheet, a1: str, values: list[list[Any]]) -> str | None:
    sheet, match = _target(spreadsheet, a1)
    if sheet is None or match is None or not match["c1"] or not match["r1"]:
        return f"Unable to parse range: {a1}"
    first_row, first_column = int(match["r1"]), _column(match["c1"])
    last_row = first_row + len(values) - 1
    last_column = first_column + max((len(row) for row in values), default=1) - 1
    if last_row > sheet.rows or last_column > sheet.columns:
        return (
            f"Range ({a1}) exceeds grid limits. Max rows: {sheet.rows}, "
            f"max columns: {sheet.columns}"
        )
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            key = (first_row + r, first_column + c)
            if value == "" or value is None:
                sheet.cells.pop(key, None)
            else:
                sheet.cells[key] = value
    return None


def _column(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _formatted(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"error": {"code": status, "message": message, "status": code}})


def service_account_file(directory: Path, token_uri: str) -> Path:
    """A service account key file with a fresh RSA key, whose tokens come from `token_uri`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = directory / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "handyman-tests",
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": "stats@handyman-tests.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": token_uri,
            }
        )
    )
    return path


@contextmanager
def fake_sheets_server() -> Iterator[tuple[FakeSheets, ScriptedServer]]:
    fake = FakeSheets()
    with scripted_server(fake.respond) as server:
        yield fake, server
