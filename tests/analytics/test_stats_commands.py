"""`handyman stats pull|daily|run-daily` against a scripted source of the seed vendor's shape:
what lands in the analytics table, what the log says, and the exit codes."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from handyman_cli.main import main
from handyman_store import schema
from handyman_store.database import DatabaseUrl, create_engine
from tests.analytics.scripted_server import Answer, Request, scripted_server

VENDOR_RECORDS: list[Any] = [
    {
        "lti_user_id": "a1",
        "passback_params": "{'oauth_consumer_key': 'uni', 'lis_result_sourcedid': 'block-1', "
        "'lis_outcome_service_url': 'https://lms.example/grade'}",
        "is_correct": 0,
        "attempt_type": "submit",
        "created_at": "2026-12-01 09:00:00.100000",
    },
    {
        "lti_user_id": "a1",
        "passback_params": "{'oauth_consumer_key': 'uni', 'lis_result_sourcedid': 'block-1', "
        "'lis_outcome_service_url': 'https://lms.example/grade'}",
        "is_correct": 1,
        "attempt_type": "submit",
        "created_at": "2026-12-01 09:05:00.000000",
    },
    {
        "lti_user_id": "b2",
        "passback_params": "{'oauth_consumer_key': 'uni', 'lis_result_sourcedid': 'block-2', "
        "'lis_outcome_service_url': 'https://lms.example/grade'}",
        "is_correct": None,
        "attempt_type": "run",
        "created_at": "2026-12-01 10:00:00.000000",
    },
    {"lti_user_id": "bad", "attempt_type": "submit", "is_correct": None, "created_at": "x"},
]


def vendor(request: Request) -> Answer:
    if request.query.get("client_key") != "M2MGWS":
        return Answer(403, {"detail": "invalid client key"})
    return Answer(body=VENDOR_RECORDS)


def run(paths: dict[str, Path], *args: str) -> int:
    database, logs = paths["database"], paths["logs"]
    return main([*args, "--database-url", f"sqlite:///{database}", "--log-dir", str(logs)])


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, Path]:
    return {"database": tmp_path / "analytics.sqlite3", "logs": tmp_path / "logs"}


def loaded(database: Path) -> list[tuple[Any, ...]]:
    engine = create_engine(DatabaseUrl.sqlite_file(database))
    table = schema.analytics_attempts
    try:
        with engine.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(
                    select(
                        table.c.user_id,
                        table.c.oauth_consumer_key,
                        table.c.lis_result_sourcedid,
                        table.c.is_correct,
                        table.c.attempt_type,
                    ).order_by(table.c.created_at)
                )
            ]
    finally:
        engine.dispose()


def log_text(logs: Path) -> str:
    [file] = logs.glob("stats-*.log")
    return file.read_text()


def pull(url: str, paths: dict[str, Path], key: str = "M2MGWS") -> int:
    return run(
        paths,
        "stats",
        "pull",
        "--source",
        url,
        "--client",
        "Skillfactory",
        "--client-key",
        key,
        "--start",
        "2026-12-01 00:00:00",
        "--end",
        "2026-12-02 00:00:00",
    )


def test_a_pull_loads_the_vendors_records_and_skips_the_bad_one(paths: dict[str, Path]) -> None:
    with scripted_server(vendor) as server:
        assert pull(server.url, paths) == 0

    assert loaded(paths["database"]) == [
        ("a1", "uni", "block-1", 0, "submit"),
        ("a1", "uni", "block-1", 1, "submit"),
        ("b2", "uni", "block-2", None, "run"),
    ]
    text = log_text(paths["logs"])
    for stage in (
        "INFO stats pull started",
        "INFO download started",
        "INFO page 1 downloaded: 4 records",
        "WARNING record skipped: is_correct is null for a submit",
        '"lti_user_id": "bad"',
        "INFO download finished: 4 records in 1 pages",
        "INFO load finished: 3 rows written, 1 records skipped",
    ):
        assert stage in text


def test_pulling_the_same_window_again_adds_no_rows(paths: dict[str, Path]) -> None:
    with scripted_server(vendor) as server:
        pull(server.url, paths)
        assert pull(server.url, paths) == 0

    assert len(loaded(paths["database"])) == 3


def test_a_refused_key_is_an_error_with_the_status_code_and_a_failing_exit(
    paths: dict[str, Path],
) -> None:
    with scripted_server(vendor) as server:
        assert pull(server.url, paths, key="wrong") == 1

    assert "ERROR statistics API error: status_code=403" in log_text(paths["logs"])
    assert loaded(paths["database"]) == []


def test_bad_arguments_are_refused_before_anything_runs(paths: dict[str, Path]) -> None:
    code = run(
        paths,
        "stats",
        "pull",
        "--source",
        "http://127.0.0.1:9/x",
        "--client",
        "c",
        "--client-key",
        "k",
        "--start",
        "2026-12-02",
        "--end",
        "2026-12-01",
    )

    assert code == 2
    assert not paths["logs"].exists()


def test_daily_figures_are_computed_and_written_to_csv(
    paths: dict[str, Path], tmp_path: Path
) -> None:
    config = tmp_path / "handyman.toml"
    config.write_text(f'[export.csv]\ndirectory = "{tmp_path / "csv"}"\n')
    with scripted_server(vendor) as server:
        pull(server.url, paths)

    code = run(paths, "stats", "daily", "--date", "2026-12-01", "--config", str(config))

    assert code == 0
    with (tmp_path / "csv" / "stats-daily-2026-12-01.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [(r["client"], r["attempts"], r["submits"], r["runs"], r["correct"]) for r in rows] == [
        ("uni", "3", "2", "1", "1")
    ]
    assert rows[0]["success_rate"] == "0.5"
    assert rows[0]["unique_users"] == "2"
    assert "INFO aggregates of 2026-12-01: 3 attempts, 1 clients" in log_text(paths["logs"])


def test_a_failing_export_is_exit_3_and_keeps_the_aggregates(
    paths: dict[str, Path], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    config = tmp_path / "handyman.toml"
    config.write_text(f'[export.csv]\ndirectory = "{blocker}"\n')
    with scripted_server(vendor) as server:
        pull(server.url, paths)

    code = run(paths, "stats", "daily", "--date", "2026-12-01", "--config", str(config))

    assert code == 3
    assert "ERROR CSV export failed" in log_text(paths["logs"])
    engine = create_engine(DatabaseUrl.sqlite_file(paths["database"]))
    with engine.connect() as connection:
        assert connection.execute(select(schema.daily_client_stats)).all() != []
    engine.dispose()
