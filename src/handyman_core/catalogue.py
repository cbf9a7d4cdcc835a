"""The course catalogue as plain values, and the navigation rules that read it.

The folder reader (handyman_store.course_folder) builds these; the store persists them; the HTTP
layer serves them from an in-memory `Catalogue` snapshot. Only live (non-retired) items are here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from attrs import Factory, field, frozen

from handyman_core.ids import ChapterId, CourseId, ExampleId, ProjectId, TaskId
from handyman_core.segments import SegmentName, parse_segment_name


@frozen
class Wrappers:
    """Wrapper sources into which a solution is injected; None where the folder has no such file."""

    test: str | None = None
    run: str | None = None
    playground: str | None = None


SEGMENT_KEY = "segment"
"""The key of a course's tags.json that names the segment gating it."""


def segment_in_tags(tags: Mapping[str, object]) -> SegmentName | None:
    """The segment a course's tags.json gates it by, if any; InvalidInput (field `segment`) for a
    value that is not a segment name."""
    value = tags.get(SEGMENT_KEY)
    return None if value is None else parse_segment_name(value, SEGMENT_KEY)


def _segment_of(course: Course) -> SegmentName | None:
    tags = json.loads(course.tags)
    return segment_in_tags(tags) if isinstance(tags, dict) else None


@frozen
class Course:
    id: CourseId
    title: str
    tags: str
    """The course's tags.json as PostgreSQL jsonb text (see handyman_core.jsonb_text)."""
    description: str
    fallbacks: Wrappers = Wrappers()
    segment: SegmentName | None = field(init=False, default=Factory(_segment_of, takes_self=True))
    """The segment a learner must be in to see the course at all (`"segment"` in its tags);
    None for a course open to everybody (see handyman_core.course_gating)."""


@frozen
class Chapter:
    id: ChapterId
    course_id: CourseId
    title: str
    text: str


@frozen
class Task:
    id: TaskId
    chapter_id: ChapterId
    wrappers: Wrappers


@frozen
class Example:
    """A playground snippet of a chapter (`examples/<id>/`)."""

    id: ExampleId
    chapter_id: ChapterId
    wrappers: Wrappers


@frozen
class ProjectFile:
    path: str
    """POSIX path relative to the project root, e.g. `src/calc.py`."""
    contents: str


@frozen
class PracticeProject:
    id: ProjectId
    course_id: CourseId
    title: str
    chapter_id: ChapterId
    """The chapter after which the project appears."""
    main_file: str
    default_cmd_line_args: str
    text: str
    hint: str
    files: tuple[ProjectFile, ...] = ()


def _key(item: Course | Chapter | Task | Example | PracticeProject) -> str:
    return item.id


# One typed converter per field: mypy's attrs plugin cannot see through a generic converter.
def _courses(items: Iterable[Course]) -> tuple[Course, ...]:
    return tuple(sorted(items, key=_key))


def _chapters(items: Iterable[Chapter]) -> tuple[Chapter, ...]:
    return tuple(sorted(items, key=_key))


def _tasks(items: Iterable[Task]) -> tuple[Task, ...]:
    return tuple(sorted(items, key=_key))


def _examples(items: Iterable[Example]) -> tuple[Example, ...]:
    return tuple(sorted(items, key=lambda example: (example.chapter_id, example.id)))


def _projects(items: Iterable[PracticeProject]) -> tuple[PracticeProject, ...]:
    return tuple(sorted(items, key=_key))


def _index_of(catalogue: Catalogue) -> _Index:
    return _Index.build(catalogue)


@frozen
class Catalogue:
    """Everything live, each tuple ordered by id (string order; ids are zero-padded)."""

    courses: tuple[Course, ...] = field(default=(), converter=_courses)
    chapters: tuple[Chapter, ...] = field(default=(), converter=_chapters)
    tasks: tuple[Task, ...] = field(default=(), converter=_tasks)
    examples: tuple[Example, ...] = field(default=(), converter=_examples)
    projects: tuple[PracticeProject, ...] = field(default=(), converter=_projects)
    _index: _Index = field(
        default=Factory(_index_of, takes_self=True),
        init=False,
        repr=False,
        eq=False,
    )

    def course(self, course_id: str) -> Course | None:
        return self._index.courses.get(course_id)

    def chapter(self, chapter_id: str) -> Chapter | None:
        return self._index.chapters.get(chapter_id)

    def task(self, task_id: str) -> Task | None:
        return self._index.tasks.get(task_id)

    def project(self, project_id: str) -> PracticeProject | None:
        return self._index.projects.get(project_id)

    def example(self, chapter_id: str, example_id: str) -> Example | None:
        return self._index.examples.get((chapter_id, example_id))

    def chapters_of(self, course_id: str) -> tuple[Chapter, ...]:
        return self._index.chapters_by_course.get(course_id, ())

    def tasks_of(self, chapter_id: str) -> tuple[Task, ...]:
        return self._index.tasks_by_chapter.get(chapter_id, ())

    def projects_of(self, course_id: str) -> tuple[PracticeProject, ...]:
        """Ordered by the chapter they follow, then by id."""
        return self._index.projects_by_course.get(course_id, ())

    def page_items(self, course_id: str) -> tuple[Chapter | PracticeProject, ...]:
        """The course page's order: chapters by id, each practice project right after the
        chapter it follows (projects of one chapter by id). Computed once per snapshot, so a
        page lists it rather than sorting on every request."""
        return self._index.page_items_by_course.get(course_id, ())

    def first_chapter(self, course_id: str) -> Chapter | None:
        chapters = self.chapters_of(course_id)
        return chapters[0] if chapters else None

    def chapter_after(self, chapter_id: ChapterId) -> Chapter | None:
        """The next chapter of the same course in id order, without practice substitution."""
        chapter = self.chapter(chapter_id)
        if chapter is None:
            return None
        siblings = self.chapters_of(chapter.course_id)
        position = self._index.chapter_position[chapter_id]
        return siblings[position + 1] if position + 1 < len(siblings) else None

    def next_item_id(self, chapter_id: ChapterId) -> str | None:
        """What follows a chapter on the course page: its first practice project, else the next
        chapter. Unlike the original, a project after the last chapter is offered too."""
        chapter = self.chapter(chapter_id)
        if chapter is None:
            return None
        for project in self.projects_of(chapter.course_id):
            if project.chapter_id == chapter_id:
                return project.id
        following = self.chapter_after(chapter_id)
        return following.id if following else None


@frozen
class _Index:
    courses: dict[str, Course]
    chapters: dict[str, Chapter]
    tasks: dict[str, Task]
    projects: dict[str, PracticeProject]
    examples: dict[tuple[str, str], Example]
    chapters_by_course: dict[str, tuple[Chapter, ...]]
    tasks_by_chapter: dict[str, tuple[Task, ...]]
    projects_by_course: dict[str, tuple[PracticeProject, ...]]
    chapter_position: dict[str, int]
    page_items_by_course: dict[str, tuple[Chapter | PracticeProject, ...]]

    @classmethod
    def build(cls, catalogue: Catalogue) -> _Index:
        chapters_by_course: dict[str, list[Chapter]] = {}
        for chapter in catalogue.chapters:
            chapters_by_course.setdefault(chapter.course_id, []).append(chapter)
        tasks_by_chapter: dict[str, list[Task]] = {}
        for task in catalogue.tasks:
            tasks_by_chapter.setdefault(task.chapter_id, []).append(task)
        projects_by_course: dict[str, list[PracticeProject]] = {}
        for project in sorted(catalogue.projects, key=lambda p: (p.chapter_id, p.id)):
            projects_by_course.setdefault(project.course_id, []).append(project)
        position: dict[str, int] = {
            chapter.id: index
            for chapters in chapters_by_course.values()
            for index, chapter in enumerate(chapters)
        }
        page_items: dict[str, list[tuple[str, int, str, Chapter | PracticeProject]]] = {}
        for chapter in catalogue.chapters:
            page_items.setdefault(chapter.course_id, []).append(
                (chapter.id, 0, chapter.id, chapter)
            )
        for project in catalogue.projects:
            page_items.setdefault(project.course_id, []).append(
                (project.chapter_id, 1, project.id, project)
            )
        return cls(
            courses={c.id: c for c in catalogue.courses},
            chapters={c.id: c for c in catalogue.chapters},
            tasks={t.id: t for t in catalogue.tasks},
            projects={p.id: p for p in catalogue.projects},
            examples={(e.chapter_id, e.id): e for e in catalogue.examples},
            chapters_by_course={k: tuple(v) for k, v in chapters_by_course.items()},
            tasks_by_chapter={k: tuple(v) for k, v in tasks_by_chapter.items()},
            projects_by_course={k: tuple(v) for k, v in projects_by_course.items()},
            chapter_position=position,
            page_items_by_course={
                course_id: tuple(item for *_, item in sorted(keyed, key=lambda entry: entry[:3]))
                for course_id, keyed in page_items.items()
            },
        )
