"""Synthetic progress over a real catalogue, so benchmarks run against full tables.

The shape follows how learners move through a course: chapters in order, every task of a passed
chapter completed, the current chapter in progress part way, an occasional practice project.
Each user studies one or two courses (bigger courses draw more learners) and has tens of task
rows; one in a hundred has finished a course, which makes the heaviest reads. Everything comes
from a seeded generator, so two runs load the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from attrs import Factory, define, frozen
from sqlalchemy import Table

from handyman_core.catalogue import Catalogue, Chapter
from handyman_core.ids import ChapterId, CourseId, TaskId
from handyman_core.status import Status
from handyman_store import schema

SECOND_COURSE_SHARE = 0.35
FINISHER_SHARE = 0.01
TASKS_PER_COURSE = (10, 60)
PROJECT_SHARE = 0.3
SOLUTION_VARIANTS = 64

Row = tuple[object, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "course_progress": ("user_id", "course_id", "status"),
    "chapter_progress": ("user_id", "chapter_id", "course_id", "status"),
    "task_progress": (
        "user_id",
        "task_id",
        "chapter_id",
        "course_id",
        "status",
        "solution_text",
        "attempts_count",
    ),
    "practice_progress": (
        "user_id",
        "project_id",
        "course_id",
        "status",
        "solution_text",
        "attempts_count",
    ),
}
"""The column order of the generated tuples, per table."""


@define
class ProgressRows:
    """Rows for the four progress tables, as tuples in `COLUMNS` order."""

    courses: list[Row] = Factory(list)
    chapters: list[Row] = Factory(list)
    tasks: list[Row] = Factory(list)
    projects: list[Row] = Factory(list)

    def by_table(self) -> list[tuple[Table, list[Row]]]:
        return [
            (schema.course_progress, self.courses),
            (schema.chapter_progress, self.chapters),
            (schema.task_progress, self.tasks),
            (schema.practice_progress, self.projects),
        ]


@frozen
class Learner:
    """Where one generated user stands in one course: what HTTP requests can aim at."""

    user_id: int
    course_id: CourseId
    current_chapter: ChapterId
    next_chapter: ChapterId | None
    current_task: TaskId
    finished_course: bool


@frozen
class Dataset:
    users: int
    rows: ProgressRows
    learners: tuple[Learner, ...]


def learners_dataset(catalogue: Catalogue, users: int, seed: int = 20240601) -> Dataset:
    """Progress of users 1..`users`."""
    rng = random.Random(seed)
    solutions = _solution_texts(rng)
    courses = [c.id for c in catalogue.courses if _task_count(catalogue, c.id)]
    weights = [_task_count(catalogue, course_id) for course_id in courses]
    rows = ProgressRows()
    learners: list[Learner] = []
    for user_id in range(1, users + 1):
        wanted = 2 if len(courses) > 1 and rng.random() < SECOND_COURSE_SHARE else 1
        for course_id in _weighted_sample(rng, courses, weights, wanted):
            learner = _study(rng, catalogue, rows, solutions, user_id=user_id, course_id=course_id)
            learners.append(learner)
    return Dataset(users=users, rows=rows, learners=tuple(learners))


def merge_pair(
    catalogue: Catalogue, cur_user_id: int, old_user_id: int, tasks_each: int, seed: int
) -> ProgressRows:
    """Two users with `tasks_each` task rows each (fewer if the catalogue is smaller) over the
    whole catalogue, overlapping mostly, with the chapter and course rows those tasks imply."""
    rng = random.Random(seed)
    solutions = _solution_texts(rng)
    rows = ProgressRows()
    task_ids = [task.id for task in catalogue.tasks]
    for user_id in (cur_user_id, old_user_id):
        picked = sorted(rng.sample(task_ids, min(tasks_each, len(task_ids))))
        completed_by_chapter: dict[ChapterId, bool] = {}
        for task_id in picked:
            task = catalogue.task(task_id)
            assert task is not None
            done = rng.random() < 0.7
            status = Status.COMPLETED if done else Status.IN_PROGRESS
            chapter = catalogue.chapter(task.chapter_id)
            assert chapter is not None
            rows.tasks.append(
                (
                    user_id,
                    task_id,
                    chapter.id,
                    chapter.course_id,
                    status.value,
                    rng.choice(solutions),
                    rng.randint(1, 5),
                )
            )
            completed_by_chapter[chapter.id] = completed_by_chapter.get(chapter.id, True) and done
        course_ids = set()
        for chapter_id, all_done in completed_by_chapter.items():
            chapter = catalogue.chapter(chapter_id)
            assert chapter is not None
            status = Status.COMPLETED if all_done else Status.IN_PROGRESS
            rows.chapters.append((user_id, chapter_id, chapter.course_id, status.value))
            course_ids.add(chapter.course_id)
        for course_id in sorted(course_ids):
            rows.courses.append((user_id, course_id, Status.IN_PROGRESS.value))
    return rows


def _study(
    rng: random.Random,
    catalogue: Catalogue,
    rows: ProgressRows,
    solutions: Sequence[str],
    *,
    user_id: int,
    course_id: CourseId,
) -> Learner:
    """Walk the course's chapters in order until the user's share of tasks is used up."""
    chapters = catalogue.chapters_of(course_id)
    finisher = rng.random() < FINISHER_SHARE
    goal = _task_count(catalogue, course_id) if finisher else rng.randint(*TASKS_PER_COURSE)
    done = 0
    passed: list[Chapter] = []
    current: Chapter | None = None
    current_task: TaskId | None = None
    for chapter in chapters:
        task_ids = [task.id for task in catalogue.tasks_of(chapter.id)]
        left = goal - done
        if left > 0 and len(task_ids) <= left:
            passed.append(chapter)
            rows.chapters.append((user_id, chapter.id, course_id, Status.COMPLETED.value))
            for task_id in task_ids:
                rows.tasks.append(_task_row(rng, solutions, user_id, task_id, chapter, done=True))
            done += len(task_ids)
            continue
        current = chapter
        rows.chapters.append((user_id, chapter.id, course_id, Status.IN_PROGRESS.value))
        for position, task_id in enumerate(task_ids[:left]):
            finished = position < left - 1
            rows.tasks.append(_task_row(rng, solutions, user_id, task_id, chapter, done=finished))
        current_task = task_ids[max(left - 1, 0)] if task_ids else None
        break
    course_status = Status.IN_PROGRESS if current is not None else Status.COMPLETED
    rows.courses.append((user_id, course_id, course_status.value))
    _practise(rng, catalogue, rows, solutions, user_id=user_id, course_id=course_id, passed=passed)
    here = current or chapters[-1]
    following = catalogue.chapter_after(here.id) if current is not None else None
    return Learner(
        user_id=user_id,
        course_id=course_id,
        current_chapter=here.id,
        next_chapter=following.id if following else None,
        current_task=current_task or _last_task(catalogue, course_id, here),
        finished_course=current is None,
    )


def _practise(
    rng: random.Random,
    catalogue: Catalogue,
    rows: ProgressRows,
    solutions: Sequence[str],
    *,
    user_id: int,
    course_id: CourseId,
    passed: list[Chapter],
) -> None:
    passed_ids = {chapter.id for chapter in passed}
    for project in catalogue.projects_of(course_id):
        if project.chapter_id in passed_ids and rng.random() < PROJECT_SHARE:
            status = Status.COMPLETED if rng.random() < 0.5 else Status.IN_PROGRESS
            rows.projects.append(
                (
                    user_id,
                    project.id,
                    course_id,
                    status.value,
                    rng.choice(solutions),
                    rng.randint(1, 8),
                )
            )


def _task_row(
    rng: random.Random,
    solutions: Sequence[str],
    user_id: int,
    task_id: TaskId,
    chapter: Chapter,
    *,
    done: bool,
) -> Row:
    status = Status.COMPLETED if done else Status.IN_PROGRESS
    attempts = rng.randint(1, 4) if done else rng.randint(0, 3)
    return (
        user_id,
        task_id,
        chapter.id,
        chapter.course_id,
        status.value,
        rng.choice(solutions),
        attempts,
    )


def _last_task(catalogue: Catalogue, course_id: CourseId, chapter: Chapter) -> TaskId:
    """A task to aim writes at when the current chapter has none: the course's last one."""
    own = catalogue.tasks_of(chapter.id)
    if own:
        return own[-1].id
    course_tasks = [
        t.id for c in catalogue.chapters_of(course_id) for t in catalogue.tasks_of(c.id)
    ]
    return course_tasks[-1]


def _task_count(catalogue: Catalogue, course_id: CourseId) -> int:
    return sum(len(catalogue.tasks_of(chapter.id)) for chapter in catalogue.chapters_of(course_id))


def _weighted_sample(
    rng: random.Random, items: Sequence[CourseId], weights: Sequence[int], count: int
) -> list[CourseId]:
    chosen: list[CourseId] = []
    pool, pool_weights = list(items), list(weights)
    for _ in range(min(count, len(pool))):
        (pick,) = rng.choices(range(len(pool)), weights=pool_weights)
        chosen.append(pool.pop(pick))
        pool_weights.pop(pick)
    return chosen


def _solution_texts(rng: random.Random) -> list[str]:
    """Code-like texts of 150 to 600 characters, the size learners' solutions mostly have."""
    texts = []
    for variant in range(SOLUTION_VARIANTS):
        functions = [
            f"def step_{variant}_{index}(values):\n"
            f"    return [value * {index} for value in values if value % {variant + 2}]\n"
            for index in range(rng.randint(2, 8))
        ]
        texts.append("\n".join(functions))
    return texts
