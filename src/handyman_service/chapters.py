"""Chapters: a course's outline, one chapter's page, the active chapter, the completion summary,
and the chapter status a learner sets."""

from __future__ import annotations

from attrs import frozen

from handyman_core.catalogue import Catalogue, Chapter, PracticeProject
from handyman_core.chapter_page import ChapterPage, chapter_page
from handyman_core.completion import CHAPTER_COMPLETED, all_chapters_completed, chapter_summary
from handyman_core.course_outline import OutlineKind, OutlineRow, active_row, course_outline
from handyman_core.errors import InvalidInput
from handyman_core.ids import ChapterId, CourseId
from handyman_core.progress import UserProgress
from handyman_core.status import Status
from handyman_core.transitions import ChapterUpdate
from handyman_service.context import ServiceContext
from handyman_service.live_items import live_chapter, live_course
from handyman_service.visible_catalogue import catalogue_for


@frozen
class OutlineQuery:
    user_id: int | None
    course_id: CourseId


@frozen
class CourseOutline:
    course_status: Status
    rows: list[OutlineRow]


def outline_course(context: ServiceContext, query: OutlineQuery) -> CourseOutline:
    """The course's chapters and practice projects in order, with a user's statuses."""
    catalogue = catalogue_for(context, query.user_id)
    live_course(catalogue, query.course_id)
    progress = (
        UserProgress()
        if query.user_id is None
        else context.progress.course_progress(query.user_id, query.course_id, with_solutions=False)
    )
    return CourseOutline(
        progress.courses.get(query.course_id, Status.NOT_STARTED),
        course_outline(catalogue, query.course_id, progress),
    )


@frozen
class ChapterQuery:
    """`chapter_id` None opens the course's first chapter."""

    user_id: int | None
    course_id: CourseId
    chapter_id: ChapterId | None = None


def open_chapter(context: ServiceContext, query: ChapterQuery) -> ChapterPage:
    catalogue = catalogue_for(context, query.user_id)
    if query.chapter_id is None:
        first = catalogue.first_chapter(live_course(catalogue, query.course_id).id)
        if first is None:
            raise InvalidInput({"course_id": "the course has no chapters"})
        chapter = first
    else:
        chapter = live_chapter(catalogue, query.chapter_id)
    return _page(context, catalogue, chapter, query.user_id)


def _page(
    context: ServiceContext, catalogue: Catalogue, chapter: Chapter, user_id: int | None
) -> ChapterPage:
    if user_id is None:
        return chapter_page(catalogue, chapter, None, None, {})
    course_status, chapter_status, items = context.progress.chapter_progress(user_id, chapter.id)
    return chapter_page(catalogue, chapter, chapter_status, course_status, items)


@frozen
class ActiveChapterQuery:
    user_id: int
    course_id: CourseId


@frozen
class CourseNotInProgress:
    """The course is not `in_progress` for the user: there is no active chapter to name."""


@frozen
class NothingActive:
    """Every chapter and project of the course is completed or blocked."""


@frozen
class ActiveProject:
    row: OutlineRow


ActiveChapter = ChapterPage | ActiveProject | CourseNotInProgress | NothingActive


def active_chapter(context: ServiceContext, query: ActiveChapterQuery) -> ActiveChapter:
    """The first chapter (or practice project) of an `in_progress` course still to do."""
    catalogue = catalogue_for(context, query.user_id)
    course = live_course(catalogue, query.course_id)
    progress = context.progress.course_progress(query.user_id, course.id, with_solutions=False)
    if progress.courses.get(course.id) is not Status.IN_PROGRESS:
        return CourseNotInProgress()
    row = active_row(course_outline(catalogue, course.id, progress))
    if row is None:
        return NothingActive()
    if row.kind is OutlineKind.PROJECT:
        return ActiveProject(row)
    return _page(context, catalogue, live_chapter(catalogue, row.item_id), query.user_id)


@frozen
class SummaryQuery:
    user_id: int
    chapter_id: ChapterId


@frozen
class ProjectStatus:
    project: PracticeProject
    status: Status


@frozen
class ChapterProgressSummary:
    chapter: Chapter
    user_status_on_chapter: str
    not_completed_tasks: tuple[str, ...]
    next_item_id: str | None
    course_completed: bool
    """Every live chapter of the course is completed (only asked once this one is)."""
    projects: tuple[ProjectStatus, ...]
    """The course's practice projects, once the course is completed."""


def summarise_chapter(context: ServiceContext, query: SummaryQuery) -> ChapterProgressSummary:
    """Whether the chapter is done, its unfinished tasks, what comes next and, once the whole
    course is done, its practice projects."""
    catalogue = catalogue_for(context, query.user_id)
    chapter = live_chapter(catalogue, query.chapter_id)
    _, chapter_status, items = context.progress.chapter_progress(query.user_id, chapter.id)
    summary = chapter_summary(
        [task.id for task in catalogue.tasks_of(chapter.id)],
        {task_id: item.status for task_id, item in items.items()},
        chapter_status,
    )
    course_completed = False
    projects: list[ProjectStatus] = []
    if summary.user_status_on_chapter == CHAPTER_COMPLETED:
        progress = context.progress.course_progress(
            query.user_id, chapter.course_id, with_solutions=False
        )
        chapter_ids = [each.id for each in catalogue.chapters_of(chapter.course_id)]
        if all_chapters_completed(chapter_ids, progress.chapters):
            course_completed = True
            for project in catalogue.projects_of(chapter.course_id):
                item = progress.projects.get(project.id)
                projects.append(ProjectStatus(project, item.status if item else Status.NOT_STARTED))
    return ChapterProgressSummary(
        chapter,
        summary.user_status_on_chapter,
        tuple(summary.not_completed_tasks),
        catalogue.next_item_id(chapter.id),
        course_completed,
        tuple(projects),
    )


@frozen
class UpdateChapterProgress:
    user_id: int
    chapter_id: ChapterId
    requested: str
    """Any text: the transition table refuses what it does not know, and the refusal names it."""


@frozen
class ChapterProgressUpdate:
    chapter: Chapter
    update: ChapterUpdate


def update_chapter_progress(
    context: ServiceContext, command: UpdateChapterProgress
) -> ChapterProgressUpdate:
    """Completing a chapter needs every live task of it completed; `no_action` names the first
    chapter still to do."""
    catalogue = catalogue_for(context, command.user_id)
    chapter = live_chapter(catalogue, command.chapter_id)
    update = context.progress.update_chapter_status(
        command.user_id,
        chapter.id,
        command.requested,
        live_task_ids=[task.id for task in catalogue.tasks_of(chapter.id)],
        course_chapter_ids_in_order=[each.id for each in catalogue.chapters_of(chapter.course_id)],
    )
    return ChapterProgressUpdate(chapter, update)
