"""The site's call sequences (original §6) against a real `handyman serve` over HTTP, on SQLite
and on PostgreSQL: gunicorn with two workers, the example course imported at start, and a
stand-in for the original runner (watchman) on loopback behind `--runner remote`.

Requests go out exactly as scene sends them, and the assertions are on the bodies scene reads:
no token anywhere, merge_users and split_users included, from the trusted loopback network.
Each test uses its own users, so the tests share one server per database without sharing state.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from attrs import frozen

from tests.conftest import EXAMPLE_COURSES, require
from tests.http.conftest import (
    CHAPTER_1,
    CHAPTER_2,
    CHAPTER_3,
    CHAPTERS,
    COURSE,
    EXAMPLE,
    PROJECT,
    TASKS,
    encoded,
)
from tests.http.live_server import (
    FakeWatchman,
    LiveServer,
    Site,
    fake_watchman,
    running_server,
    serve_command,
    server_environment,
)
from tests.loopback import free_port
from tests.postgres_server import DatabaseFactory

pytestmark = pytest.mark.slow

ADMIN_TOKEN = "live-admin-token"
SITE_NETWORKS = "127.0.0.0/8 ::1/128"
"""The site's set-up (docs/site-compatibility.md): it calls from a trusted network, no token."""
PLAIN_TEXT_TASK = TASKS[CHAPTER_1][2]
"""`consoleoutput` in the chapter text: the site's JS sends task_type plain_text."""
PROJECT_TREE = json.dumps(
    {
        "name": "project",
        "children": [{"name": "word_count.py", "contents": "print(1)", "is_main_file": True}],
    }
)
RUN_OK = {"status_code": 0, "user_code_output": ""}


@frozen
class LiveSite:
    site: Site
    watchman: FakeWatchman
    server: LiveServer


@contextlib.contextmanager
def database_for(kind: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'handyman.sqlite3'}"
        return
    factory: DatabaseFactory = request.getfixturevalue("postgres_databases")
    with factory.fresh_database() as url:
        yield url


DATABASE_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveSite]:
    require(
        importlib.util.find_spec("handyman_runner.remote") is not None,
        "handyman_runner.remote is missing, so runs cannot reach the runner stand-in",
    )
    folder = tmp_path_factory.mktemp(f"live-{request.param}")
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(database_for(request.param, request, folder))
        watchman = stack.enter_context(fake_watchman())
        command = serve_command(
            database_url,
            free_port(),
            EXAMPLE_COURSES,
            "--runner",
            "remote",
            "--watchman-url",
            watchman.url,
            "--admin-networks",
            SITE_NETWORKS,
        )
        environment = server_environment(folder, ADMIN_TOKEN)
        server = stack.enter_context(running_server(command, environment, folder))
        yield LiveSite(Site(server.url, ADMIN_TOKEN), watchman, server)


def start_course(site: Site, user_id: int) -> None:
    """views.start_course."""
    assert site.post(
        "/update_course_progress", {"course_id": COURSE, "status": "in_progress"}, user_id
    ) == {"status": "ok"}
    assert site.post(
        "/update_chapter_progress", {"chapter_id": CHAPTER_1, "status": "in_progress"}, user_id
    ) == {"chapter_id": CHAPTER_1, "course_id": COURSE, "status": "ok"}


def run_task(site: Site, user_id: int, task_id: str, code: str = "x") -> Any:
    """views.run_task passes the page's JS body through."""
    task_type = "plain_text" if task_id == PLAIN_TEXT_TASK else "code"
    return site.post(
        "/run_task",
        {
            "task_id": task_id,
            "task_type": task_type,
            "solution_text": encoded(code),
            "color_output": True,
            "run_static_type_checker": False,
        },
        user_id,
    )


def finish_chapter(site: Site, user_id: int, chapter_id: str) -> Any:
    """views.finish_chapter."""
    return site.post(
        "/update_chapter_progress", {"chapter_id": chapter_id, "status": "completed"}, user_id
    )


def solve_chapter(site: Site, user_id: int, chapter_id: str) -> None:
    for task_id in TASKS[chapter_id]:
        assert run_task(site, user_id, task_id) == RUN_OK
    assert finish_chapter(site, user_id, chapter_id) == {
        "chapter_id": chapter_id,
        "course_id": COURSE,
        "status": "ok",
    }


def task_status(site: Site, user_id: int, task_id: str) -> str:
    status: str = site.post("/get_task", {"task_id": task_id}, user_id)["status"]
    return status


# --- the pages -------------------------------------------------------------------------------


def test_the_courses_page_lists_the_course_with_its_tags_as_a_string(live: LiveSite) -> None:
    site = live.site
    (anonymous,) = site.post("/get_courses", {"status": "all"})
    assert set(anonymous) == {"course_id", "type", "title", "description", "tags"}
    assert json.loads(anonymous["tags"])["title"] == "Python from scratch"
    (for_user,) = site.post("/get_courses", {"status": "all"}, 101)
    assert (for_user["course_id"], for_user["status"]) == (COURSE, "not_started")


def test_the_course_page_gets_chapters_tags_and_description(live: LiveSite) -> None:
    site = live.site
    chapters = site.post("/get_chapters", {"course_id": COURSE}, 102)
    assert [row["chapter_id"] for row in chapters] == [*CHAPTERS, PROJECT]
    assert chapters[0] == {
        "chapter_id": CHAPTER_1,
        "status": "not_started",
        "course_status": "not_started",
        "title": "Chapter 1. Names and values",
        "tasks_total": 3,
        "tasks_completed": 0,
    }
    info = site.post("/get_course_info", {"course_id": COURSE})
    assert json.loads(info["tags"])["chapters"] == "3 chapters"
    description = site.post("/get_course_description", {"course_id": COURSE})
    assert description == {
        "description": (EXAMPLE_COURSES / COURSE / "description.md").read_text("utf-8")
    }


def test_starting_a_course_opens_its_first_chapter(live: LiveSite) -> None:
    site, user = live.site, 103
    start_course(site, user)
    active = site.post("/get_active_chapter", {"course_id": COURSE}, user)
    assert (active["chapter_id"], active["is_practice"]) == (CHAPTER_1, False)
    page = site.post("/get_chapter", {"chapter_id": CHAPTER_1}, user)
    assert (page["status"], page["course_status"], page["next_chapter_id"]) == (
        "in_progress",
        "in_progress",
        CHAPTER_2,
    )
    assert page["tasks"] == [
        {"task_id": task_id, "task_code": "", "status": "not_started"}
        for task_id in TASKS[CHAPTER_1]
    ]


def test_starting_a_course_again_sends_the_user_back_to_the_chapter_to_do(live: LiveSite) -> None:
    site, user = live.site, 104
    start_course(site, user)
    assert site.post(
        "/update_course_progress", {"course_id": COURSE, "status": "in_progress"}, user
    ) == {"status": "no_action"}
    assert site.post(
        "/update_chapter_progress", {"chapter_id": CHAPTER_1, "status": "in_progress"}, user
    ) == {"chapter_id": CHAPTER_1, "course_id": COURSE, "status": "no_action"}


def test_an_anonymous_visitor_sees_the_chapters_tasks(live: LiveSite) -> None:
    page = live.site.post("/get_chapter", {"chapter_id": CHAPTER_2}, None)
    assert "chapter_id" in page
    assert page["tasks"] == [
        {"task_id": TASKS[CHAPTER_2][0], "task_code": "", "status": "not_started"}
    ]


# --- solving a chapter -----------------------------------------------------------------------


def test_the_editor_autosave_keeps_the_code_for_the_chapter_page(live: LiveSite) -> None:
    site, user = live.site, 105
    start_course(site, user)
    task_id = TASKS[CHAPTER_1][0]
    saved = site.post("/save_task", {"task_id": task_id, "solution_text": encoded("w = 7")}, user)
    assert saved == {"status_code": 0}
    page = site.post("/get_chapter", {"chapter_id": CHAPTER_1}, user)
    assert page["tasks"][0] == {"task_id": task_id, "task_code": "w = 7", "status": "in_progress"}


def test_a_chapter_can_be_finished_only_once_its_tasks_are_solved(live: LiveSite) -> None:
    site, user = live.site, 106
    start_course(site, user)
    assert finish_chapter(site, user, CHAPTER_1) == {
        "error": "Not all tasks in chapter are completed"
    }
    for task_id in TASKS[CHAPTER_1]:
        assert run_task(site, user, task_id) == RUN_OK
    assert finish_chapter(site, user, CHAPTER_1) == {
        "chapter_id": CHAPTER_1,
        "course_id": COURSE,
        "status": "ok",
    }
    progress = site.post("/get_progress", {"chapter_id": CHAPTER_1, "check_practice": False}, user)
    assert progress == {
        "user_status_on_chapter": "chapter_completed",
        "next_chapter_id": CHAPTER_2,
        "course_id": COURSE,
    }


def test_runs_reach_the_runner_in_the_originals_wire_format(live: LiveSite) -> None:
    site, watchman, user = live.site, live.watchman, 107
    before = len(watchman.calls)
    assert run_task(site, user, TASKS[CHAPTER_1][0], code="width = 7") == RUN_OK
    assert run_task(site, user, PLAIN_TEXT_TASK, code="9") == RUN_OK
    code_call, plain_call = watchman.calls[before:]
    assert code_call.path == "/check"
    assert code_call.body["container_type"] == "python"
    assert code_call.body["cmd_line_args"] == ["-c always", "-v code"]
    assert "width = 7" in code_call.body["source_test"]
    assert plain_call.body["cmd_line_args"] == ["-c always", "-v plain_text"]
    assert plain_call.body["source_run"] == ""


def test_a_runner_reply_without_a_verdict_is_no_answer_and_records_nothing(
    live: LiveSite,
) -> None:
    site, user = live.site, 108
    task_id = TASKS[CHAPTER_2][0]
    live.watchman.answer({"output": "Error while processing handle `/check`"})
    assert run_task(site, user, task_id) is None
    assert site.last_status == 503
    assert task_status(site, user, task_id) == "not_started"


def test_a_failing_rerun_leaves_a_solved_task_solved(live: LiveSite) -> None:
    site, user = live.site, 109
    task_id = TASKS[CHAPTER_2][0]
    assert run_task(site, user, task_id) == RUN_OK
    live.watchman.answer({"status_code": 2, "user_code_output": "", "tests_output": "no\n"})
    assert run_task(site, user, task_id) == {
        "status_code": 2,
        "user_code_output": "",
        "tests_output": "no\n",
    }
    assert task_status(site, user, task_id) == "completed"


# --- progress, the course's end --------------------------------------------------------------


def test_the_progress_page_counts_what_the_user_finished(live: LiveSite) -> None:
    site, user = live.site, 110
    start_course(site, user)
    solve_chapter(site, user, CHAPTER_1)
    assert site.post("/courses_stats", {}, user) == [
        {
            "course_id": COURSE,
            "title": "Python from scratch",
            "total_chapters": 3,
            "finished_chapters": 1,
            "total_tasks": 6,
            "finished_tasks": 3,
            "total_projects": 1,
            "finished_projects": 0,
            "status": "in_progress",
        }
    ]


def test_a_learner_finishes_every_chapter_the_project_and_the_course(live: LiveSite) -> None:
    site, user = live.site, 111
    start_course(site, user)
    for chapter_id in CHAPTERS:
        solve_chapter(site, user, chapter_id)
    active = site.post("/get_active_chapter", {"course_id": COURSE}, user)
    assert (active["chapter_id"], active["is_practice"]) == (PROJECT, True)

    practice = site.post("/get_practice", {"course_id": COURSE, "task_id": PROJECT}, user)
    assert practice["title"] and Path(practice["project_path"]).is_absolute()
    assert json.loads(practice["tags"])["title"] == "Python from scratch"
    body = {
        "project_contents": PROJECT_TREE,
        "project_id": PROJECT,
        "course_id": COURSE,
        "user_cmd_line_args": "",
    }
    assert site.post("/handle_practice_code", {**body, "action": "save"}, user) == RUN_OK
    assert site.post("/handle_practice_code", {**body, "action": "test"}, user) == RUN_OK
    assert live.watchman.calls[-1].path == "/practice"

    progress = site.post("/get_progress", {"chapter_id": CHAPTER_3, "check_practice": True}, user)
    assert progress == {
        "user_status_on_chapter": "chapter_completed",
        "next_chapter_id": PROJECT,
        "is_course_completed": True,
        "course_id": COURSE,
        "practice_projects": [
            {"title": practice["title"], "project_id": PROJECT, "status": "completed"}
        ],
    }
    finish = {"course_id": COURSE, "status": "completed"}
    assert site.post("/update_course_progress", finish, user) == {"status": "ok"}
    assert site.post("/update_course_progress", finish, user)["current_status"] == "completed"
    (stats,) = site.post("/courses_stats", {}, user)
    assert (stats["status"], stats["finished_chapters"], stats["finished_projects"]) == (
        "completed",
        3,
        1,
    )
    assert site.post("/get_active_chapter", {"course_id": COURSE}, user) == {
        "error": "Course is not in state 'in_progress' for user"
    }


# --- the playground --------------------------------------------------------------------------


def test_the_playground_opens_an_example_and_runs_the_code(live: LiveSite) -> None:
    site, user = live.site, 112
    opened = site.post(
        "/inject_playground_code",
        {"task_id": f"{CHAPTER_1}_task_0000", "solution_text": " ", "example_id": EXAMPLE},
        user,
    )
    assert "user_code" in opened
    ran = site.post(
        "/run_code",
        {"lang_id": "python", "project": PROJECT_TREE, "playground_id": "live112"},
        user,
    )
    assert ran == RUN_OK
    assert live.watchman.calls[-1].path == "/playground"


# --- linked accounts -------------------------------------------------------------------------


def test_linking_accounts_merges_progress_and_unlinking_copies_it(live: LiveSite) -> None:
    """communications.sync_tg_bot and delete_tg_bot_link_for_user, without a token."""
    site = live.site
    site_account, bot_account, unlinked = 121, 122, 123
    task_id = TASKS[CHAPTER_1][0]
    assert run_task(site, site_account, task_id) == RUN_OK

    merged = site.post(
        "/merge_users",
        {"cur_user_id": bot_account, "old_user_id": site_account, "new_user_id": 0},
    )
    assert merged == {"status": 0}
    assert task_status(site, bot_account, task_id) == "completed"
    assert task_status(site, site_account, task_id) == "not_started"

    split = site.post("/split_users", {"cur_user_id": bot_account, "new_user_id": unlinked})
    assert split == {"status": 0}
    assert task_status(site, unlinked, task_id) == "completed"
    assert task_status(site, bot_account, task_id) == "completed"

    again = site.post("/split_users", {"cur_user_id": bot_account, "new_user_id": unlinked})
    assert (again, site.last_status) == (None, 409)


def test_account_endpoints_refuse_a_wrong_token_even_from_the_trusted_network(
    live: LiveSite,
) -> None:
    site = Site(live.site.url, "not-the-admin-token")
    assert site.post_as_admin("/merge_users", {"cur_user_id": 131, "old_user_id": 132}) is None
    assert site.last_status == 403


def _merge_from(url: str, source: str, headers: dict[str, str]) -> int:
    """merge_users without a token from the local address `source` (any 127.x.y.z is this
    host's loopback, so one machine can play a trusted and an untrusted caller)."""
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parsed.hostname or "", parsed.port, timeout=30, source_address=(source, 0)
    )
    try:
        body = json.dumps({"cur_user_id": 151, "old_user_id": 152})
        connection.request(
            "POST", "/merge_users", body, {"Content-Type": "application/json", **headers}
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_trusted_network_is_the_peer_address_not_a_forwarding_header(tmp_path: Path) -> None:
    """gunicorn trusts loopback for forwarding headers by default (forwarded_allow_ips); the
    peer address it reports must still be the socket's, whatever a client writes."""
    command = serve_command(
        f"sqlite:///{tmp_path / 'handyman.sqlite3'}",
        free_port(),
        EXAMPLE_COURSES,
        "--runner",
        "none",
        "--workers",
        "1",
        "--admin-networks",
        "127.0.0.2/32",
    )
    with running_server(command, server_environment(tmp_path, ADMIN_TOKEN), tmp_path) as server:
        assert _merge_from(server.url, "127.0.0.2", {}) == 200
        for header, value in (
            ("X-Forwarded-For", "127.0.0.2"),
            ("X-Real-IP", "127.0.0.2"),
            ("Forwarded", "for=127.0.0.2"),
        ):
            assert _merge_from(server.url, "127.0.0.1", {header: value}) == 401, header


@pytest.mark.parametrize(
    ("arguments", "variable"),
    [(["--admin-networks", "10.0.0.0/33"], ""), ([], "10.0.0.0/33 ::1/128")],
)
def test_a_bad_admin_network_stops_the_start_with_a_clear_error(
    tmp_path: Path, arguments: list[str], variable: str
) -> None:
    environment = server_environment(tmp_path, ADMIN_TOKEN)
    if variable:
        environment["HANDYMAN_ADMIN_NETWORKS"] = variable
    command = serve_command(
        f"sqlite:///{tmp_path / 'handyman.sqlite3'}", free_port(), EXAMPLE_COURSES, *arguments
    )
    finished = subprocess.run(
        command,
        check=False,
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "'10.0.0.0/33' is not a network in CIDR form" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert not (tmp_path / "handyman.sqlite3").exists(), "nothing may start before the check"


# --- transport limits ------------------------------------------------------------------------


def test_a_chunked_body_is_read_like_any_other(live: LiveSite) -> None:
    """HTTP/1.1 clients may stream a body without a Content-Length."""

    def chunks() -> Iterator[bytes]:
        yield b'{"course_id": '
        yield b'"pythonstart"}'

    response = requests.post(
        live.site.url + "/get_course_info",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert json.loads(response.json()["tags"])["title"] == "Python from scratch"


def test_an_oversized_chunked_body_is_refused_with_413(live: LiveSite) -> None:
    """Without a Content-Length the limit must hold while reading, not only up front."""

    def chunks() -> Iterator[bytes]:
        yield b'{"course_id": "pythonstart", "padding": "'
        for _ in range(32):
            yield b"x" * 65536
        yield b'"}'

    response = requests.post(
        live.site.url + "/get_course_info",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert "error" in response.json()
    assert response.headers.get("X-Request-Id")


def test_a_script_run_is_refused_up_front_by_the_remote_runner(live: LiveSite) -> None:
    """The original runner's API has no endpoint for scripts: 409 at once, no traceback."""
    response = requests.post(
        live.site.url + "/api/v1/runs",
        params={"user_id": "151"},
        json={"language": "python", "source": "print(1)"},
        timeout=30,
    )

    assert response.status_code == 409
    assert "cannot execute script runs" in response.json()["error"]
    assert "Traceback" not in live.server.log()


# --- stopping --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_sigterm_stops_the_service_cleanly(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(database_for(kind, request, tmp_path))
        command = serve_command(database_url, free_port(), EXAMPLE_COURSES, "--runner", "none")
        environment = server_environment(tmp_path, ADMIN_TOKEN)
        server = stack.enter_context(running_server(command, environment, tmp_path))
        site = Site(server.url, ADMIN_TOKEN)
        assert run_task(site, 141, TASKS[CHAPTER_1][0]) is None
        assert site.last_status == 503
        assert site.post("/courses_stats", {}, 141) == []

        code, seconds = server.stop()

        assert code == 0, server.log()
        assert seconds < 5.0, server.log()
        assert "Traceback" not in server.log()
