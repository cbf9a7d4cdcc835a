"""Hypothesis strategies for ids and progress, shared by the core and the store tests.

Progress is drawn over a small pool of ids so that two users drawn independently overlap often:
that is where merge and the upserts have something to decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from hypothesis import strategies as st

from handyman_core.ids import ChapterId, CourseId, ProjectId, TaskId
from handyman_core.progress import ItemProgress, UserProgress
from handyman_core.status import STORED_STATUSES, Status

POOL_COURSES: tuple[CourseId, ...] = (CourseId("python"), CourseId("rust"))
POOL_CHAPTERS: tuple[ChapterId, ...] = (
    ChapterId("python_chapter_0010"),
    ChapterId("python_chapter_0020"),
    ChapterId("rust_chapter_0010"),
)
POOL_TASKS: tuple[TaskId, ...] = tuple(
    TaskId(f"{chapter}_task_{number:04d}") for chapter in POOL_CHAPTERS for number in (10, 20)
)
POOL_PROJECTS: tuple[ProjectId, ...] = (
    ProjectId("python_calculator"),
    ProjectId("python_tree_util"),
    ProjectId("rust_calculator"),
)

_Key = TypeVar("_Key", bound=str)
_Row = TypeVar("_Row")

ALL_STATUSES: tuple[Status, ...] = tuple(Status)

_COURSE_NAME = st.from_regex(r"[a-z][a-z0-9]{0,11}", fullmatch=True)
_FOUR_DIGITS = st.integers(min_value=0, max_value=9999).map(lambda n: f"{n:04d}")


def course_ids() -> st.SearchStrategy[CourseId]:
    return _COURSE_NAME.map(CourseId)


def chapter_ids() -> st.SearchStrategy[ChapterId]:
    return st.builds(
        lambda course, number: ChapterId(f"{course}_chapter_{number}"), course_ids(), _FOUR_DIGITS
    )


def task_ids() -> st.SearchStrategy[TaskId]:
    return st.builds(
        lambda chapter, number: TaskId(f"{chapter}_task_{number}"), chapter_ids(), _FOUR_DIGITS
    )


def project_ids() -> st.SearchStrategy[ProjectId]:
    return st.builds(
        lambda course, name: ProjectId(f"{course}_{name}"),
        course_ids(),
        st.from_regex(r"[a-z0-9_]{1,16}", fullmatch=True),
    )


def user_ids() -> st.SearchStrategy[int]:
    return st.integers(min_value=1, max_value=2**63 - 1)


def stored_statuses() -> st.SearchStrategy[Status]:
    """Statuses a progress row can hold (`not_started` is the absence of a row)."""
    return st.sampled_from(STORED_STATUSES)


STORABLE_CHARACTERS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
"""Lone surrogates and NUL are refused at the edge (400), so stored text never holds them."""


def solutions() -> st.SearchStrategy[str]:
    """Mostly tiny texts, often empty, so that "non-empty beats empty" gets exercised."""
    return st.sampled_from(["", "", "a", "b"]) | st.text(alphabet=STORABLE_CHARACTERS, max_size=8)


def item_progress(
    statuses: st.SearchStrategy[Status] | None = None,
) -> st.SearchStrategy[ItemProgress]:
    return st.builds(
        ItemProgress,
        status=statuses if statuses is not None else stored_statuses(),
        attempts=st.integers(min_value=0, max_value=1000),
        solution=solutions(),
    )


def user_progress(
    course_ids: Sequence[CourseId] = POOL_COURSES,
    chapter_ids: Sequence[ChapterId] = POOL_CHAPTERS,
    task_ids: Sequence[TaskId] = POOL_TASKS,
    project_ids: Sequence[ProjectId] = POOL_PROJECTS,
) -> st.SearchStrategy[UserProgress]:
    """Any set of rows over the given ids. Rows are independent, as in real data (a saved task
    has no chapter row, a merged user may hold a completed task in a not-started chapter)."""
    return st.builds(
        UserProgress,
        courses=_rows(course_ids, stored_statuses()),
        chapters=_rows(chapter_ids, stored_statuses()),
        tasks=_rows(task_ids, item_progress()),
        projects=_rows(project_ids, item_progress()),
    )


def _rows(
    keys: Sequence[_Key], values: st.SearchStrategy[_Row]
) -> st.SearchStrategy[dict[_Key, _Row]]:
    if not keys:
        return st.just({})
    return st.dictionaries(st.sampled_from(list(keys)), values)


# --- What the properties observe ----------------------------------------------------------------


def rank(status: Status | None) -> int:
    """Rank with a missing row counted as `not_started`."""
    return (status or Status.NOT_STARTED).rank


def rows_of(progress: UserProgress) -> dict[str, Status | ItemProgress]:
    """Every row of a user keyed by its id (the pools above never reuse an id across kinds)."""
    pairs: list[tuple[str, Status | ItemProgress]] = [
        *progress.courses.items(),
        *progress.chapters.items(),
        *progress.tasks.items(),
        *progress.projects.items(),
    ]
    return dict(pairs)


def statuses_of(progress: UserProgress) -> dict[str, Status]:
    return {
        key: row if isinstance(row, Status) else row.status
        for key, row in rows_of(progress).items()
    }


def total_attempts(progress: UserProgress) -> int:
    items = [*progress.tasks.values(), *progress.projects.values()]
    return sum(item.attempts for item in items)
