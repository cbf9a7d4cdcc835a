"""The whole learning-analytics path, as an operator and a university run it: learners' runs go
through a live `handyman serve`; `handyman stats pull` loads them from its statistics API into
a second database; `handyman stats daily` computes the day and writes the CSV file, the Google
Sheets row (a local fake of the Sheets API, through gspread) and the e-mail (a real SMTP server
over TLS). All three must show the figures the runs make, and the same ones."""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handyman_cli.main import main
from tests.analytics.fake_sheets import FakeSheets, fake_sheets_server, service_account_file
from tests.analytics.smtp_server import PASSWORD, USERNAME, smtp_server
from tests.conftest import EXAMPLE_COURSES
from tests.http.conftest import CHAPTER_1, COURSE, PROJECT, TASKS, encoded
from tests.http.live_server import (
    Site,
    fake_watchman,
    running_server,
    serve_command,
    server_environment,
)
from tests.loopback import free_port
from tests.postgres_server import DatabaseFactory

pytestmark = pytest.mark.slow

ADMIN_TOKEN = "e2e-admin"
TASK_A, TASK_B = TASKS[CHAPTER_1][0], TASKS[CHAPTER_1][1]
FAILED = {"status_code": 2, "user_code_output": "", "tests_output": "wrong answer"}
PROJECT_TREE = json.dumps(
    {
        "name": "project",
        "children": [{"name": "word_count.py", "contents": "print(1)", "is_main_file": True}],
    }
)
SHEET_KEY = "daily-info-key"


@contextlib.contextmanager
def two_databases(kind: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[list[str]]:
    if kind == "sqlite":
        yield [f"sqlite:///{folder / 'handyman.sqlite3'}", f"sqlite:///{folder / 'grade.sqlite3'}"]
        return
    factory: DatabaseFactory = request.getfixturevalue("postgres_databases")
    with factory.fresh_database() as source, factory.fresh_database() as target:
        yield [source, target]


def run_task(site: Site, user_id: int, task_id: str) -> None:
    answer = site.post("/run_task", {"task_id": task_id, "solution_text": encoded("x")}, user_id)
    assert answer is not None, site.last_status


def practice(site: Site, user_id: int, action: str) -> None:
    body = {
        "project_contents": PROJECT_TREE,
        "project_id": PROJECT,
        "course_id": COURSE,
        "action": action,
        "user_cmd_line_args": "",
    }
    assert site.post("/handle_practice_code", body, user_id) is not None, site.last_status


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_runs_reach_the_csv_file_the_spreadsheet_and_the_email_with_the_same_figures(
    kind: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with contextlib.ExitStack() as stack:
        source, target = stack.enter_context(two_databases(kind, request, tmp_path))
        watchman = stack.enter_context(fake_watchman())
        fake, sheets_server = stack.enter_context(fake_sheets_server())
        mailbox = stack.enter_context(smtp_server(tmp_path, "ssl"))
        fake.add_spreadsheet(SHEET_KEY, "daily_info", {"daily": 100})

        assert main(["clients", "add", "operator", "--database-url", source]) == 0
        key = capsys.readouterr().out.strip()
        command = serve_command(
            source,
            free_port(),
            EXAMPLE_COURSES,
            "--runner",
            "remote",
            "--watchman-url",
            watchman.url,
        )
        server = stack.enter_context(
            running_server(command, server_environment(tmp_path, ADMIN_TOKEN), tmp_path)
        )
        site = Site(server.url, ADMIN_TOKEN)

        watchman.answer(FAILED)
        run_task(site, 1, TASK_A)
        run_task(site, 1, TASK_A)
        run_task(site, 2, TASK_A)
        watchman.answer(FAILED, FAILED)
        run_task(site, 3, TASK_B)
        run_task(site, 3, TASK_B)
        practice(site, 2, "run")
        day = datetime.now(UTC).date()

        logs = tmp_path / "logs"
        pulled = main(
            [
                "stats", "pull", "--source", server.url + "/api/statistics",
                "--client", "operator", "--client-key", key,
                "--start", day.isoformat(), "--end", (day + timedelta(days=1)).isoformat(),
                "--page-size", "2", "--database-url", target, "--log-dir", str(logs),
            ]
        )  # fmt: skip
        assert pulled == 0

        config = tmp_path / "stats.toml"
        config.write_text(
            f"""
[export.csv]
directory = "{tmp_path / "csv"}"

[export.sheets]
service_account_file = "{service_account_file(tmp_path, sheets_server.url + "/token")}"
spreadsheet_key = "{SHEET_KEY}"
worksheet = "daily"
api_root = "{sheets_server.url}"

[email]
host = "127.0.0.1"
port = {mailbox.port}
security = "ssl"
sender = "{USERNAME}"
recipients = ["team@example.org"]
username = "{USERNAME}"
ca_file = "{mailbox.ca_file}"
"""
        )
        monkeypatch.setenv("HANDYMAN_SMTP_PASSWORD", PASSWORD)
        daily = main(
            [
                "stats", "daily", "--date", day.isoformat(), "--config", str(config),
                "--database-url", target, "--log-dir", str(logs),
            ]
        )  # fmt: skip
        assert daily == 0, (logs / f"stats-{day}.log").read_text()

    expected = [
        day.isoformat(), "", "UTC",
        "6", "5", "1", "2", "0.4", "3", "3", "",
    ]  # fmt: skip
    with (tmp_path / "csv" / f"stats-daily-{day}.csv").open() as file:
        csv_rows = list(csv.reader(file))
    assert csv_rows[1] == expected
    assert _sheet_rows(fake) == [csv_rows[0], _trimmed(expected)]
    [message] = mailbox.messages
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "".join(f"<td>{value}</td>" for value in expected) in html.get_content()
    log = (tmp_path / "logs" / f"stats-{day}.log").read_text()
    for stage in (
        "download finished: 6 records in 3 pages",
        "CSV export written",
        "Google Sheets export finished: 0 rows updated, 1 added",
        "e-mail sent",
    ):
        assert stage in log


def _sheet_rows(fake: FakeSheets) -> list[list[str]]:
    sheet = fake.spreadsheets[SHEET_KEY].worksheet("daily")
    assert sheet is not None
    return sheet.values()


def _trimmed(row: list[str]) -> list[str]:
    while row and row[-1] == "":
        row = row[:-1]
    return row
