"""The statistics job's configuration: one TOML file for everything that is not a secret, and
environment variables for the secrets (the statistics API key, the SMTP password). Every
section is optional; an export or the e-mail runs only when its section is present.

```toml
[stats]
time_zone = "Europe/Moscow"     # the zone a day is cut in (default UTC)
log_dir = "/var/log/handyman"   # default: HANDYMAN_LOG_DIR, else logs/ in the data directory
keep_log_days = 3
hardest_tasks = 5               # how many hardest tasks a report lists
min_submits = 5                 # submits a task needs that day to count among them

[stats.source]                  # the statistics API `stats pull` reads
url = "https://handyman.example.org/api/statistics"
client = "university"           # key: HANDYMAN_STATS_CLIENT_KEY
page_size = 10000
timeout_seconds = 60
retries = 5

[export.csv]
directory = "/var/lib/handyman/daily"

[export.sheets]
service_account_file = "/etc/handyman/sheets-service-account.json"
spreadsheet_key = "1AbC..."     # or spreadsheet_name = "daily_info"
worksheet = "daily"

[email]                         # password: HANDYMAN_SMTP_PASSWORD
host = "smtp.example.org"
port = 465
security = "ssl"                # ssl, starttls or none
sender = "stats@example.org"
recipients = ["team@example.org"]
username = "stats@example.org"
```

Unknown keys are errors: a misspelt `recipents` must not silently mean "no e-mail".
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
import cattrs
import platformdirs
from attrs import frozen
from cattrs.gen import make_dict_structure_fn

from handyman_analytics.email_report import EmailSettings
from handyman_analytics.sheets_export import SheetsSettings
from handyman_core.errors import HandymanError, InvalidInput
from handyman_core.strict_json import JsonShapeError, strict_json_converter, structure_json

CONFIG_VARIABLE = "HANDYMAN_CONFIG"
CLIENT_KEY_VARIABLE = "HANDYMAN_STATS_CLIENT_KEY"
SMTP_PASSWORD_VARIABLE = "HANDYMAN_SMTP_PASSWORD"
LOG_DIR_VARIABLE = "HANDYMAN_LOG_DIR"


class ConfigError(HandymanError):
    """The configuration file cannot be used; the message names the file and the key."""


@frozen
class SourceConfig:
    url: str | None = None
    client: str | None = None
    page_size: int = 10_000
    timeout_seconds: float = 60.0
    retries: int = 5


@frozen
class StatsConfig:
    time_zone: str = "UTC"
    log_dir: str | None = None
    keep_log_days: int = 3
    hardest_tasks: int = 5
    min_submits: int = 5
    source: SourceConfig = SourceConfig()


@frozen
class CsvConfig:
    directory: str


@frozen
class ExportConfig:
    csv: CsvConfig | None = None
    sheets: SheetsSettings | None = None


@frozen
class JobConfig:
    """The `[export.sheets]` and `[email]` tables are the exports' own settings, paths read as
    paths: what the file says is what the stages get."""

    stats: StatsConfig = StatsConfig()
    export: ExportConfig = ExportConfig()
    email: EmailSettings | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.stats.time_zone)


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir("handyman")) / "handyman.toml"


def load_config(
    path: str | None, environ: Mapping[str, str] = os.environ
) -> tuple[JobConfig, Path | None]:
    """The configuration from `path`, else $HANDYMAN_CONFIG, else the per-user file if it
    exists, else the defaults; with the file it came from."""
    chosen = path or environ.get(CONFIG_VARIABLE)
    file = Path(chosen) if chosen else default_config_path()
    if not chosen and not file.is_file():
        return JobConfig(), None
    try:
        document = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the configuration file {file}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"the configuration file {file} is not valid TOML: {error}") from None
    return parse_config(document, str(file)), file


def parse_config(document: Mapping[str, Any], source: str) -> JobConfig:
    try:
        config = structure_json(_CONVERTER, dict(document), JobConfig, "")
        _check(config)
    except InvalidInput as error:
        problems = "; ".join(
            f"{'top level' if name == 'body' else name}: {problem}"
            for name, problem in error.fields.items()
        )
        raise ConfigError(f"the configuration file {source} is invalid: {problems}") from None
    return config


def _check(config: JobConfig) -> None:
    problems: dict[str, str] = {}
    try:
        ZoneInfo(config.stats.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems["stats"] = f"time_zone {config.stats.time_zone!r} is not a known time zone"
    sheets = config.export.sheets
    if sheets is not None and not (sheets.spreadsheet_key or sheets.spreadsheet_name):
        problems["export"] = "sheets needs spreadsheet_key or spreadsheet_name"
    if config.email is not None and not config.email.recipients:
        problems["email"] = "recipients must name at least one address"
    for name, value, low in (
        ("keep_log_days", config.stats.keep_log_days, 1),
        ("hardest_tasks", config.stats.hardest_tasks, 0),
        ("min_submits", config.stats.min_submits, 0),
        ("source.retries", config.stats.source.retries, 0),
        ("source.page_size", config.stats.source.page_size, 1),
    ):
        if value < low:
            problems.setdefault("stats", f"{name} must be at least {low}")
    if problems:
        raise InvalidInput(problems)


def _number(value: object, _: type) -> float:
    if type(value) not in (int, float):
        raise JsonShapeError("must be a number")
    return float(value)  # type: ignore[arg-type]


def _path(value: object, _: type) -> Path:
    if not isinstance(value, str):
        raise JsonShapeError("must be a string")
    return Path(value)


def _config_converter() -> cattrs.Converter:
    converter = strict_json_converter()
    converter.register_structure_hook(float, _number)
    converter.register_structure_hook(Path, _path)
    converter.register_structure_hook_factory(attrs.has, _closed_object_hook)
    return converter


def _closed_object_hook(cls: Any, converter: cattrs.Converter) -> Callable[[object, type], Any]:
    structure_fields = make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=True)

    def structure(value: object, target: type) -> Any:
        if not isinstance(value, dict):
            raise JsonShapeError("must be a table")
        return structure_fields(value, target)

    return structure


_CONVERTER = _config_converter()
