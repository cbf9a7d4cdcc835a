"""Which course folder the benchmarks import, and its reading.

The real catalogue lives beside the development checkout (`../shared/courses/senjun`); elsewhere
the bundled example course stands in, and the report says so, because its numbers are not
comparable with the targets.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bench.errors import BenchmarkError
from handyman_core.catalogue import Catalogue
from handyman_core.ids import CourseId
from handyman_store.course_folder import FolderReading, read_course_folder

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REAL_CATALOGUE = PROJECT_ROOT.parent / "shared" / "courses" / "senjun"
EXAMPLE_COURSES = PROJECT_ROOT / "examples" / "courses"


def course_folder(option: str | None, console: Console) -> Path:
    """`--courses DIR` when given (it must exist), else the real catalogue, else the examples."""
    if option is not None:
        chosen = Path(option).resolve()
        if not chosen.is_dir():
            raise BenchmarkError(f"--courses {option}: no such directory")
        return chosen
    if REAL_CATALOGUE.is_dir():
        return REAL_CATALOGUE
    console.print(
        f"[yellow]The real catalogue is not at {REAL_CATALOGUE}; using the example course "
        f"{EXAMPLE_COURSES} instead. Its timings are not comparable with the targets.[/]"
    )
    return EXAMPLE_COURSES


def read_usable_folder(directory: Path) -> FolderReading:
    reading = read_course_folder(directory)
    if reading.errors:
        listed = "\n  ".join(reading.errors[:20])
        raise BenchmarkError(f"the course folder {directory} cannot be imported:\n  {listed}")
    if not reading.catalogue.tasks:
        raise BenchmarkError(f"the course folder {directory} holds no task to make progress on")
    return reading


def largest_course(catalogue: Catalogue) -> CourseId:
    """The course with the longest chapter list (chapters and projects), ties broken by tasks:
    its outline is the most work for get_chapters."""

    def size(course_id: CourseId) -> tuple[int, int]:
        chapters = catalogue.chapters_of(course_id)
        rows = len(chapters) + len(catalogue.projects_of(course_id))
        return rows, sum(len(catalogue.tasks_of(chapter.id)) for chapter in chapters)

    return max((course.id for course in catalogue.courses), key=size)


def describe_catalogue(catalogue: Catalogue) -> str:
    return (
        f"{len(catalogue.courses)} courses, {len(catalogue.chapters)} chapters, "
        f"{len(catalogue.tasks)} tasks, {len(catalogue.examples)} examples, "
        f"{len(catalogue.projects)} projects"
    )
