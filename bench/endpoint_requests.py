"""What the HTTP benchmark asks each endpoint: requests the site would send for the generated
learners, one per (user, course) pair, so `user_id` ranges over every generated user and each
request aims at something that user has (their course, current chapter, current task).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from attrs import frozen

from bench.datasets import Dataset, Learner
from bench.wrk import Request


@frozen
class Endpoint:
    name: str
    method: str
    path: str
    summary: str
    body: Callable[[Learner], dict[str, str]] | None
    """None: a GET without user or body (the stack's ceiling)."""

    def requests(self, dataset: Dataset) -> list[Request]:
        body = self.body
        if body is None:
            return [Request(self.path, "")]
        return [
            Request(f"{self.path}?user_id={learner.user_id}", json.dumps(body(learner)))
            for learner in dataset.learners
        ]


def _edited_code(learner: Learner) -> str:
    code = f"def solve(values):\n    # draft {learner.user_id}\n    return sorted(values)\n"
    return base64.b64encode(code.encode()).decode()


ENDPOINTS = (
    Endpoint("health", "GET", "/health", "GET, database ping only", None),
    Endpoint("get_courses", "POST", "/get_courses", "every course with its status", lambda _: {}),
    Endpoint(
        "get_chapters",
        "POST",
        "/get_chapters",
        "chapter list of the user's course",
        lambda learner: {"course_id": learner.course_id},
    ),
    Endpoint(
        "get_chapter",
        "POST",
        "/get_chapter",
        "the user's current chapter page",
        lambda learner: {"chapter_id": learner.current_chapter},
    ),
    Endpoint(
        "get_progress",
        "POST",
        "/get_progress",
        "the user's current chapter",
        lambda learner: {"chapter_id": learner.current_chapter},
    ),
    Endpoint(
        "courses_stats",
        "POST",
        "/courses_stats",
        "statistics over all courses",
        lambda _: {},
    ),
    Endpoint(
        "course_stats",
        "POST",
        "/course_stats",
        "statistics of the user's course",
        lambda learner: {"course_id": learner.course_id},
    ),
    Endpoint(
        "get_task",
        "POST",
        "/get_task",
        "the user's current task with its saved code",
        lambda learner: {"task_id": learner.current_task},
    ),
    Endpoint(
        "save_task",
        "POST",
        "/save_task",
        "autosave of the user's current task (write)",
        lambda learner: {"task_id": learner.current_task, "solution_text": _edited_code(learner)},
    ),
    Endpoint(
        "update_chapter_progress",
        "POST",
        "/update_chapter_progress",
        "start the next chapter (write; no_action once started)",
        lambda learner: {
            "chapter_id": learner.next_chapter or learner.current_chapter,
            "status": "in_progress",
        },
    ),
    Endpoint(
        "run_task",
        "POST",
        "/run_task",
        "run the user's current task on the stub runner (write: run record, progress, attempt)",
        lambda learner: {"task_id": learner.current_task, "solution_text": _edited_code(learner)},
    ),
)
