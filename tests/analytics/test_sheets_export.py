"""The Google Sheets export through gspread against a local fake of the Sheets API: the exact
cells written, a re-run that updates its rows in place, and errors that say what failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from handyman_analytics.sheets_export import SheetsExportError, SheetsSettings, export_rows
from handyman_core.daily_report import REPORT_COLUMNS, ReportRow
from tests.analytics.fake_sheets import FakeSheets, fake_sheets_server, service_account_file

KEY = "sheet-key-1"
DAY1: ReportRow = ("2026-12-01", "uni", "UTC", 10, 8, 2, 6, 0.75, 4, 3, "t1 1/5")
DAY2: ReportRow = ("2026-12-02", "uni", "UTC", 4, 4, 0, 1, 0.25, 2, 1, "")
OTHER: ReportRow = ("2026-12-01", "", "UTC", 1, 0, 1, 0, "", 1, 1, "")


@pytest.fixture
def sheets(tmp_path: Path) -> Iterator[tuple[FakeSheets, SheetsSettings]]:
    with fake_sheets_server() as (fake, server):
        fake.add_spreadsheet(KEY, "daily_info", {"daily": 3})
        settings = SheetsSettings(
            service_account_file=service_account_file(tmp_path, server.url + "/token"),
            spreadsheet_key=KEY,
            worksheet="daily",
            api_root=server.url,
            timeout_seconds=10,
        )
        yield fake, settings


def cells(fake: FakeSheets, worksheet: str = "daily", key: str = KEY) -> list[list[str]]:
    sheet = fake.spreadsheets[key].worksheet(worksheet)
    assert sheet is not None
    return sheet.values()


def as_cells(row: ReportRow) -> list[str]:
    text = [str(value) for value in row]
    while text and text[-1] == "":
        text.pop()
    return text


def test_the_header_and_one_row_per_day_and_client_are_written(
    sheets: tuple[FakeSheets, SheetsSettings],
) -> None:
    fake, settings = sheets

    result = export_rows(settings, [DAY1, OTHER])

    assert (result.updated, result.added) == (0, 2)
    assert cells(fake) == [list(REPORT_COLUMNS), as_cells(DAY1), as_cells(OTHER)]


def test_re_running_a_day_updates_its_row_instead_of_appending(
    sheets: tuple[FakeSheets, SheetsSettings],
) -> None:
    fake, settings = sheets
    export_rows(settings, [DAY1, OTHER])
    corrected = (*DAY1[:3], 11, 9, 2, 7, 0.7778, 4, 3, "t1 2/6")

    result = export_rows(settings, [corrected])

    assert (result.updated, result.added) == (1, 0)
    assert cells(fake) == [list(REPORT_COLUMNS), as_cells(corrected), as_cells(OTHER)]


def test_a_new_day_goes_below_the_others_and_the_grid_grows_to_hold_it(
    sheets: tuple[FakeSheets, SheetsSettings],
) -> None:
    fake, settings = sheets
    export_rows(settings, [DAY1, OTHER])

    export_rows(settings, [DAY2])

    assert cells(fake)[1:] == [as_cells(DAY1), as_cells(OTHER), as_cells(DAY2)]
    sheet = fake.spreadsheets[KEY].worksheet("daily")
    assert sheet is not None and sheet.rows >= 4


def test_a_missing_worksheet_is_created(sheets: tuple[FakeSheets, SheetsSettings]) -> None:
    fake, settings = sheets

    export_rows(attrs.evolve(settings, worksheet="by day"), [DAY2])

    assert cells(fake, "by day") == [list(REPORT_COLUMNS), as_cells(DAY2)]


def test_a_spreadsheet_can_be_named_instead_of_keyed(
    sheets: tuple[FakeSheets, SheetsSettings],
) -> None:
    fake, settings = sheets
    named = attrs.evolve(settings, spreadsheet_key=None, spreadsheet_name="daily_info")

    export_rows(named, [DAY2])

    assert cells(fake)[1] == as_cells(DAY2)


def test_an_unknown_spreadsheet_is_an_export_error(
    sheets: tuple[FakeSheets, SheetsSettings],
) -> None:
    _, settings = sheets

    with pytest.raises(SheetsExportError):
        export_rows(attrs.evolve(settings, spreadsheet_key="nope"), [DAY1])


def test_a_missing_service_account_file_is_an_export_error(
    sheets: tuple[FakeSheets, SheetsSettings], tmp_path: Path
) -> None:
    _, settings = sheets
    missing = attrs.evolve(settings, service_account_file=tmp_path / "no")

    with pytest.raises(SheetsExportError):
        export_rows(missing, [DAY1])
