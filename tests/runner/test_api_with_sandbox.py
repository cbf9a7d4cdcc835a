"""The API and the local sandbox together: learners' code really runs, and only a pass completes.

Runs on SQLite only: the database side of these endpoints is covered on both databases elsewhere;
here the subject is the code path through the real sandbox.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from falcon import testing

from handyman_cli.composition import build_services
from handyman_http.app import create_app
from handyman_http.settings import Settings
from handyman_store.catalogue_import import import_catalogue
from handyman_store.course_folder import read_course_folder
from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.migrate import upgrade
from tests.conftest import EXAMPLE_COURSES, PROJECT_ROOT
from tests.runner.sandbox_support import sandbox_runner

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

SOLUTIONS: dict[str, object] = json.loads(
    (PROJECT_ROOT / "examples" / "solutions" / "pythonstart.json").read_text("utf-8")
)
TASK_SOLUTIONS = {key: value for key, value in SOLUTIONS.items() if isinstance(value, str)}
PLAIN_TEXT_TASK = "pythonstart_chapter_0010_task_0030"
PROJECT = "pythonstart_word_count"


def encoded(code: str) -> str:
    return base64.b64encode(code.encode()).decode()


def client_for(courses: Path, tmp_path: Path) -> Iterator[testing.TestClient]:
    engine = create_engine(DatabaseUrl.sqlite_file(tmp_path / "handyman.sqlite3"))
    upgrade(engine)
    import_catalogue(engine, read_course_folder(courses), str(courses))
    services = build_services(
        engine, Settings(), sandbox_runner(tmp_path / "slots"), catalogue_refresh_seconds=0.0
    )
    yield testing.TestClient(create_app(services))
    engine.dispose()


@pytest.fixture
def example_api(tmp_path: Path) -> Iterator[testing.TestClient]:
    yield from client_for(EXAMPLE_COURSES, tmp_path)


def run_task(
    client: testing.TestClient, task_id: str, code: str, **extra: object
) -> testing.Result:
    body = {"task_id": task_id, "solution_text": encoded(code), **extra}
    return client.simulate_post("/run_task", json=body, params={"user_id": "1"})


def task_status(client: testing.TestClient, task_id: str) -> str:
    answer = client.simulate_post("/get_task", json={"task_id": task_id}, params={"user_id": "1"})
    status: str = answer.json["status"]
    return status


@pytest.mark.parametrize("task_id", sorted(TASK_SOLUTIONS))
def test_every_known_solution_of_the_example_course_completes_its_task(
    example_api: testing.TestClient, task_id: str
) -> None:
    task_type = "plain_text" if task_id == PLAIN_TEXT_TASK else "code"
    answer = run_task(example_api, task_id, TASK_SOLUTIONS[task_id], task_type=task_type)
    assert answer.status_code == 200, answer.text
    assert answer.json["status_code"] == 0, answer.json
    assert task_status(example_api, task_id) == "completed"


def test_a_wrong_solution_fails_its_tests_and_leaves_the_task_in_progress(
    example_api: testing.TestClient,
) -> None:
    answer = run_task(example_api, "pythonstart_chapter_0010_task_0010", "area = 0\n")
    assert answer.json["status_code"] == 2
    assert answer.json["tests_output"]
    assert task_status(example_api, "pythonstart_chapter_0010_task_0010") == "in_progress"


def test_code_that_crashes_is_a_run_failure(example_api: testing.TestClient) -> None:
    answer = run_task(example_api, "pythonstart_chapter_0010_task_0010", "raise SystemExit(3)\n")
    assert answer.json["status_code"] == 1


def test_a_failing_rerun_does_not_uncomplete_a_solved_task(
    example_api: testing.TestClient,
) -> None:
    task_id = "pythonstart_chapter_0010_task_0010"
    run_task(example_api, task_id, TASK_SOLUTIONS[task_id])
    assert run_task(example_api, task_id, "area = 0\n").json["status_code"] == 2
    assert task_status(example_api, task_id) == "completed"


def project_tree(files: dict[str, str], main_file: str) -> str:
    children = [
        {
            "name": name,
            "contents": contents,
            **({"is_main_file": True} if name == main_file else {}),
        }
        for name, contents in files.items()
    ]
    return json.dumps({"name": "project", "children": children})


def practice(client: testing.TestClient, action: str, files: dict[str, str]) -> testing.Result:
    body = {
        "project_contents": project_tree(files, "word_count.py"),
        "project_id": PROJECT,
        "course_id": "pythonstart",
        "action": action,
        "user_cmd_line_args": "--top 2",
    }
    return client.simulate_post("/handle_practice_code", json=body, params={"user_id": "1"})


def starting_files() -> dict[str, str]:
    folder = EXAMPLE_COURSES / "pythonstart" / "practice" / PROJECT / "project"
    return {path.name: path.read_text("utf-8") for path in sorted(folder.iterdir())}


def solved_files() -> dict[str, str]:
    solution = SOLUTIONS[PROJECT]
    assert isinstance(solution, dict)
    return {**starting_files(), **solution}


def test_running_a_practice_project_prints_its_output_and_does_not_complete_it(
    example_api: testing.TestClient,
) -> None:
    answer = practice(example_api, "run", solved_files())
    assert answer.json["status_code"] == 0, answer.json
    assert answer.json["user_code_output"].count("\n") == 2
    page = example_api.simulate_post(
        "/get_practice",
        json={"course_id": "pythonstart", "task_id": PROJECT},
        params={"user_id": "1"},
    )
    assert page.json["status"] == "in_progress"


def test_testing_a_solved_practice_project_completes_it(example_api: testing.TestClient) -> None:
    answer = practice(example_api, "test", solved_files())
    assert answer.json["status_code"] == 0, answer.json
    stats = example_api.simulate_post("/courses_stats", json={}, params={"user_id": "1"})
    assert stats.json[0]["finished_projects"] == 1


def test_testing_the_starting_project_fails(example_api: testing.TestClient) -> None:
    assert practice(example_api, "test", starting_files()).json["status_code"] != 0


def test_the_playground_runs_a_project(example_api: testing.TestClient) -> None:
    tree = project_tree({"main.py": "print(6 * 7)\n"}, "main.py")
    answer = example_api.simulate_post(
        "/run_code", json={"lang_id": "python", "project": tree, "playground_id": "p1"}
    )
    assert answer.json == {"status_code": 0, "user_code_output": "42\n"}


@pytest.fixture
def real_api(real_catalogue_path: Path, tmp_path: Path) -> Iterator[testing.TestClient]:
    yield from client_for(real_catalogue_path, tmp_path)


def test_a_correct_solution_completes_the_first_task_of_the_real_python_course(
    real_api: testing.TestClient,
) -> None:
    task_id = "python_chapter_0010_task_0010"
    answer = run_task(real_api, task_id, "err_service_unavailable = 503")
    assert answer.json["status_code"] == 0, answer.json
    assert task_status(real_api, task_id) == "completed"


def test_a_wrong_solution_of_the_real_python_course_is_reported_by_its_wrapper(
    real_api: testing.TestClient,
) -> None:
    answer = run_task(real_api, "python_chapter_0010_task_0010", "err_service_unavailable = 502")
    assert answer.json["status_code"] == 2
    assert "Variable value is not 503" in answer.json["tests_output"]
