"""Where a worker's CPU goes: py-spy samples of every gunicorn worker during a load, summed up
by package.

py-spy (`pip install py-spy`) attaches to running processes from outside, so the server runs
unmodified. Its samples are written in the collapsed-stack format (one line per distinct stack,
`frame;frame;... count`), which flame-graph tools and speedscope open as they are; the summary
charges each sample to the innermost frame that belongs to a package, so time spent in the
standard library (sockets, threading, json's C scanner called from a package) counts for the
package that called it. A second view gives each package's inclusive share: the samples with
at least one of its frames on the stack (SQLAlchemy's includes the psycopg calls it makes).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from attrs import frozen

from bench.errors import BenchmarkError

SAMPLE_RATE = 250
PACKAGES = {
    "sqlalchemy": "sqlalchemy",
    "psycopg": "psycopg",
    "psycopg_binary": "psycopg",
    "psycopg_pool": "psycopg",
    "gunicorn": "gunicorn",
    "falcon": "falcon",
    "json": "json",
    "orjson": "json",
    "msgspec": "json",
    "cattrs": "cattrs/attrs",
    "cattr": "cattrs/attrs",
    "attr": "cattrs/attrs",
    "attrs": "cattrs/attrs",
    "prometheus_client": "prometheus_client",
    "requests": "requests/urllib3",
    "urllib3": "requests/urllib3",
    "handyman_core": "handyman_core",
    "handyman_store": "handyman_store",
    "handyman_http": "handyman_http",
    "handyman_runner": "handyman_runner",
    "handyman_cli": "handyman_cli",
}
"""Top-level module -> the name a summary gives its time; json counts apart from the rest of
the standard library."""
STDLIB = "standard library"
OTHER = "other packages"


def py_spy_path() -> Path:
    beside_python = Path(sys.executable).with_name("py-spy")
    found = str(beside_python) if beside_python.is_file() else shutil.which("py-spy")
    if found is None:
        raise BenchmarkError("--profile needs py-spy: pip install py-spy")
    return Path(found)


@contextlib.contextmanager
def recording(pids: Sequence[int], duration_s: float, output: Path) -> Iterator[None]:
    """py-spy on every pid for `duration_s` while the block runs; the samples of all of them
    end up in `output` (collapsed stacks)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    parts = [output.with_name(f"{output.stem}.{pid}.txt") for pid in pids]
    recorders = [
        subprocess.Popen(
            [
                str(py_spy_path()),
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(SAMPLE_RATE),
                "--duration",
                str(max(1, round(duration_s))),
                "--format",
                "raw",
                "--gil",
                "--output",
                str(part),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for pid, part in zip(pids, parts, strict=True)
    ]
    try:
        yield
    finally:
        problems = []
        for recorder in recorders:
            _, errors = recorder.communicate()
            if recorder.returncode != 0:
                problems.append(errors.decode(errors="replace").strip()[-500:])
        if problems:
            raise BenchmarkError("py-spy failed: " + "\n".join(problems))
        with output.open("w") as combined:
            for part in parts:
                combined.write(part.read_text())
                part.unlink()


@frozen
class ProfileSummary:
    samples: int
    by_package: Counter[str]
    """Samples charged to each package (innermost package frame)."""
    inclusive: Counter[str]
    """Samples with the package anywhere on the stack."""
    hottest: Counter[str]
    """Samples per innermost frame (function and file), for the top of a listing."""


def summarise(collapsed: Path) -> ProfileSummary:
    by_package: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    hottest: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if frame.endswith(")")]
        total += count
        charged = STDLIB
        for frame in reversed(frames):
            package = _package_of(frame)
            if package != STDLIB:
                charged = package
                break
        by_package[charged] += count
        for package in {_package_of(frame) for frame in frames}:
            inclusive[package] += count
        if frames:
            hottest[_short(frames[-1])] += count
    return ProfileSummary(total, by_package, inclusive, hottest)


def _package_of(frame: str) -> str:
    """py-spy names a frame `function (path/relative/to/sys.path.py:line)`."""
    location = frame.rpartition(" (")[2]
    top = location.split("/", 1)[0].split(".py", 1)[0]
    if top in PACKAGES:
        return PACKAGES[top]
    if top in sys.stdlib_module_names or top.startswith("<"):
        return STDLIB
    return OTHER


def _short(frame: str) -> str:
    """`function (…/package/module.py:123)` -> `function (package/module.py)`."""
    name, _, location = frame.partition(" (")
    path = location.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({'/'.join(Path(path).parts[-2:])})"
