"""The job's TOML configuration: every section optional, unknown keys and bad values named."""

from __future__ import annotations

from pathlib import Path

import pytest

from handyman_analytics import job_config
from handyman_analytics.job_config import ConfigError, JobConfig, load_config, parse_config

FULL = """
[stats]
time_zone = "Europe/Moscow"
log_dir = "/var/log/handyman"
hardest_tasks = 3

[stats.source]
url = "https://handyman.example.org/api/statistics"
client = "university"
timeout_seconds = 30

[export.csv]
directory = "/var/lib/handyman/daily"

[export.sheets]
service_account_file = "/etc/handyman/sa.json"
spreadsheet_name = "daily_info"

[email]
host = "smtp.example.org"
port = 587
security = "starttls"
sender = "stats@example.org"
recipients = ["team@example.org"]
"""


def test_no_file_means_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job_config, "default_config_path", lambda: tmp_path / "absent.toml")

    assert load_config(None, {}) == (JobConfig(), None)


def test_a_full_file_is_read(tmp_path: Path) -> None:
    file = tmp_path / "handyman.toml"
    file.write_text(FULL)

    config, source = load_config(str(file), {})

    assert source == file
    assert config.stats.time_zone == "Europe/Moscow"
    assert config.stats.source.timeout_seconds == 30.0
    assert config.export.csv is not None and config.export.csv.directory.endswith("daily")
    assert config.export.sheets is not None and config.export.sheets.worksheet == "daily"
    assert config.email is not None and config.email.recipients == ("team@example.org",)


def test_the_file_can_be_named_by_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "job.toml"
    file.write_text('[stats]\ntime_zone = "Asia/Tokyo"\n')

    config, _ = load_config(None, {"HANDYMAN_CONFIG": str(file)})

    assert config.stats.time_zone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"stats": {"time_zone": "Mars/Olympus"}}, "time_zone"),
        ({"email": {"host": "h", "sender": "s", "recipents": ["x"]}}, "recipents"),
        ({"emial": {}}, "emial"),
        ({"stats": {"source": {"page_size": "many"}}}, "page_size"),
        (
            {"email": {"host": "h", "sender": "s", "recipients": ["a"], "security": "tls"}},
            "security",
        ),
        ({"email": {"host": "h", "sender": "s", "recipients": []}}, "recipients"),
        ({"export": {"sheets": {"service_account_file": "x"}}}, "spreadsheet"),
        ({"stats": {"keep_log_days": 0}}, "keep_log_days"),
    ],
)
def test_a_bad_configuration_is_refused_naming_the_key(
    document: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        parse_config(document, "handyman.toml")


def test_a_file_that_is_not_toml_is_refused_naming_the_file(tmp_path: Path) -> None:
    file = tmp_path / "broken.toml"
    file.write_text("[stats\n")

    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_config(str(file), {})


def test_a_missing_named_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(str(tmp_path / "absent.toml"), {})
