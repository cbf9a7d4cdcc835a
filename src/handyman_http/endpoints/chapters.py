"""get_chapters, get_chapter, get_active_chapter, get_progress, update_chapter_progress."""

from __future__ import annotations

from typing import Any

import falcon

from handyman_core.chapter_page import ChapterPage
from handyman_core.course_outline import OutlineRow
from handyman_core.status import Status
from handyman_core.transitions import Apply, NoAction, NotAllCompleted, Refused
from handyman_http.endpoints.base import Endpoint
from handyman_http.legacy_request import (
    Options,
    chapter_or_course_target,
    chapter_target,
    course_target,
    optional_user,
    required_status,
    required_user,
)
from handyman_http.metrics import PROGRESS_UPDATE_COUNTERS, Event, LegacyCounters, emit
from handyman_http.request_check import RequestCheck
from handyman_service import chapters

_STATUS_TEXT = {status: status.value for status in Status}
"""A status's text by dict lookup: `.value` goes through the enum's descriptor, once per row."""


def _outline_elements(outline: chapters.CourseOutline) -> list[dict[str, Any]]:
    course_status = outline.course_status.value
    return [
        {
            "chapter_id": row.item_id,
            "status": _STATUS_TEXT[row.status],
            "course_status": course_status,
            "title": row.title,
            "tasks_total": row.tasks_total,
            "tasks_completed": row.tasks_completed,
        }
        for row in outline.rows
    ]


def page_element(page: ChapterPage) -> dict[str, Any]:
    element: dict[str, Any] = {
        "chapter_id": page.chapter_id,
        "status": page.status.value,
        "course_status": page.course_status.value,
        "title": page.title,
    }
    if page.next_item_id:
        element["next_chapter_id"] = page.next_item_id
    if page.parent_chapter_id:
        element["parent_chapter_id"] = page.parent_chapter_id
    if page.parent_chapter_title:
        element["parent_chapter_title"] = page.parent_chapter_title
    element.update(
        tasks_total=page.tasks_total,
        tasks_completed=page.tasks_completed,
        content=page.content,
        tasks=[
            {"task_id": line.task_id, "task_code": line.code, "status": line.status.value}
            for line in page.tasks
        ],
        is_practice=False,
    )
    return element


def _project_element(row: OutlineRow) -> dict[str, Any]:
    """A practice project in a chapter's shape, as get_active_chapter answers it."""
    return {
        "chapter_id": row.item_id,
        "status": row.status.value,
        "course_status": Status.IN_PROGRESS.value,
        "title": row.title,
        "tasks_total": 0,
        "tasks_completed": 0,
        "content": "",
        "tasks": [],
        "is_practice": True,
    }


class GetChapters(Endpoint):
    def parse(self, req: falcon.Request) -> chapters.OutlineQuery:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(optional_user, req)
        target = check.then(options, course_target)
        check.done()
        return chapters.OutlineQuery(user_id.value, target.value.course_id)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        outline = chapters.outline_course(self.context, self.parse(req))
        resp.media = _outline_elements(outline)


class GetChapter(Endpoint):
    """`chapter_id` (or a task inside it), else `course_id` for the course's first chapter."""

    counters = LegacyCounters("get_chapter", events={Event.ANONYMOUS: "anonymous", Event.OK: "ok"})

    def parse(self, req: falcon.Request) -> chapters.ChapterQuery:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(optional_user, req)
        target = check.then(options, chapter_or_course_target)
        check.done()
        return chapters.ChapterQuery(user_id.value, target.value.course_id, target.value.chapter_id)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = self.parse(req)
        page = chapters.open_chapter(self.context, query)
        if query.user_id is None:
            emit(req, Event.ANONYMOUS)
        emit(req, Event.OK)
        resp.media = page_element(page)


class GetActiveChapter(Endpoint):
    def parse(self, req: falcon.Request) -> chapters.ActiveChapterQuery:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(required_user, req)
        target = check.then(options, course_target)
        check.done()
        return chapters.ActiveChapterQuery(user_id.value, target.value.course_id)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        match chapters.active_chapter(self.context, self.parse(req)):
            case chapters.CourseNotInProgress():
                resp.media = {"error": "Course is not in state 'in_progress' for user"}
            case chapters.NothingActive():
                resp.media = {"error": "No active chapter for user"}
            case chapters.ActiveProject(row=row):
                resp.media = _project_element(row)
            case ChapterPage() as page:
                resp.media = page_element(page)


class GetProgress(Endpoint):
    """`check_practice`, which the site sends, is ignored as in the original."""

    def parse(self, req: falcon.Request) -> chapters.SummaryQuery:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(required_user, req)
        chapter_id = check.then(options, chapter_target)
        check.done()
        return chapters.SummaryQuery(user_id.value, chapter_id.value)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        summary = chapters.summarise_chapter(self.context, self.parse(req))
        body: dict[str, Any] = {"user_status_on_chapter": summary.user_status_on_chapter}
        if summary.not_completed_tasks:
            body["not_completed_tasks"] = list(summary.not_completed_tasks)
        if summary.next_item_id:
            body["next_chapter_id"] = summary.next_item_id
        if summary.course_completed:
            body["is_course_completed"] = True
        body["course_id"] = summary.chapter.course_id
        if summary.projects:
            body["practice_projects"] = [
                {
                    "title": entry.project.title,
                    "project_id": entry.project.id,
                    "status": entry.status.value,
                }
                for entry in summary.projects
            ]
        resp.media = body


class UpdateChapterProgress(Endpoint):
    """Domain refusals keep HTTP 200 and the original bodies: the site reads them."""

    counters = LegacyCounters("update_chapter_progress", events=PROGRESS_UPDATE_COUNTERS)

    def parse(self, req: falcon.Request) -> chapters.UpdateChapterProgress:
        check = RequestCheck()
        options = check.take(self.body, req, Options)
        user_id = check.take(required_user, req)
        chapter_id = check.then(options, chapter_target)
        requested = check.then(options, required_status)
        check.done()
        return chapters.UpdateChapterProgress(user_id.value, chapter_id.value, requested.value)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        outcome = chapters.update_chapter_progress(self.context, self.parse(req))
        chapter = outcome.chapter
        ids = {"chapter_id": chapter.id, "course_id": chapter.course_id}
        match outcome.update.decision:
            case Apply(status=status):
                emit(req, Event.OK, *([Event.OK_COMPLETED] if status is Status.COMPLETED else []))
                resp.media = {**ids, "status": "ok"}
            case NoAction():
                emit(req, Event.NO_ACTION)
                resp.media = {
                    "chapter_id": outcome.update.chapter_id,
                    "course_id": chapter.course_id,
                    "status": "no_action",
                }
            case Refused(current_status=current, new_status=new):
                emit(req, Event.REFUSED)
                resp.media = {
                    **ids,
                    "current_status": current,
                    "error": "Couldn't change status",
                    "new_status": new,
                }
            case NotAllCompleted():
                emit(req, Event.REFUSED)
                resp.media = {"error": "Not all tasks in chapter are completed"}
