"""`handyman serve --demo`: a throwaway SQLite database with the bundled example course, a fresh
admin token, and curl lines that work as printed."""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shlex
import tempfile
from pathlib import Path

from handyman_cli.bundled_examples import example_courses_dir, example_solutions_dir
from handyman_cli.courses_commands import print_import_report, run_import
from handyman_store.course_folder import read_course_folder
from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.schema_version import upgrade_if_behind

DEMO_COURSE = "pythonstart"
DEMO_TASK = "pythonstart_chapter_0010_task_0010"
WRONG_SOLUTION = "area = 0\n"


def prepare_demo(args: argparse.Namespace) -> str:
    """Returns the database URL the workers must use."""
    directory = Path(tempfile.mkdtemp(prefix="handyman-demo-"))
    url = DatabaseUrl.sqlite_file(directory / "handyman.sqlite3")
    courses = example_courses_dir()
    engine = create_engine(url)
    try:
        upgrade_if_behind(engine)
        print_import_report(run_import(engine, read_course_folder(courses), str(courses)))
    finally:
        engine.dispose()
    token = secrets.token_urlsafe(24)
    os.environ["HANDYMAN_ADMIN_TOKEN"] = token
    print(demo_banner(f"http://{args.host}:{args.port}", str(url), token), flush=True)
    return url.url.render_as_string(hide_password=False)


def _solution(task_id: str) -> str:
    solutions = example_solutions_dir()
    if solutions is None:
        return WRONG_SOLUTION
    known: dict[str, object] = json.loads((solutions / f"{DEMO_COURSE}.json").read_text("utf-8"))
    code = known.get(task_id)
    return code if isinstance(code, str) else WRONG_SOLUTION


def _curl(base: str, path: str, body: dict[str, object], *, token: str | None = None) -> str:
    parts = ["curl", "-s", "-X", "POST"]
    if token:
        parts += ["-H", f"Authorization: Bearer {token}"]
    parts += ["-d", json.dumps(body), f"{base}{path}"]
    return " ".join(shlex.quote(part) for part in parts)


def demo_banner(base: str, database: str, token: str) -> str:
    def encoded(code: str) -> str:
        return base64.b64encode(code.encode()).decode()

    lines = [
        "",
        f"Handyman demo: {base}",
        f"  database:    {database}",
        f"  admin token: {token}",
        "",
        "Try these (user 1 is a learner; merge/split need the admin token):",
        "  " + _curl(base, "/get_courses?user_id=1", {"status": "all"}),
        "  " + _curl(base, "/get_chapters?user_id=1", {"course_id": DEMO_COURSE}),
        "  " + _curl(base, "/get_chapter?user_id=1", {"chapter_id": f"{DEMO_COURSE}_chapter_0010"}),
        "  # a wrong solution, then a correct one:",
        "  "
        + _curl(
            base,
            "/run_task?user_id=1",
            {"task_id": DEMO_TASK, "solution_text": encoded(WRONG_SOLUTION)},
        ),
        "  "
        + _curl(
            base,
            "/run_task?user_id=1",
            {"task_id": DEMO_TASK, "solution_text": encoded(_solution(DEMO_TASK))},
        ),
        "  " + _curl(base, "/courses_stats?user_id=1", {}),
        "  " + _curl(base, "/merge_users", {"cur_user_id": 2, "old_user_id": 1}, token=token),
        "  curl -s " + shlex.quote(f"{base}/health"),
        "",
    ]
    return "\n".join(lines)
