"""get_chapters, get_chapter, get_active_chapter, get_progress, update_chapter_progress."""

from __future__ import annotations

from typing import Any

import falcon

from handyman_core.chapter_page import ChapterPage, chapter_page
from handyman_core.completion import CHAPTER_COMPLETED, all_chapters_completed, chapter_summary
from handyman_core.course_outline import OutlineKind, OutlineRow, active_row, course_outline
from handyman_core.errors import InvalidInput
from handyman_core.progress import UserProgress
from handyman_core.status import Status
from handyman_core.transitions import Apply, NoAction, NotAllCompleted, Refused
from handyman_http.endpoints.base import Endpoint
from handyman_http.legacy_request import (
    Options,
    chapter_or_course_target,
    chapter_target,
    course_target,
    live_chapter,
    live_course,
    required_status,
)
from handyman_http.metrics import count


def _outline_element(row: OutlineRow, course_status: Status) -> dict[str, Any]:
    return {
        "chapter_id": row.item_id,
        "status": row.status.value,
        "course_status": course_status.value,
        "title": row.title,
        "tasks_total": row.tasks_total,
        "tasks_completed": row.tasks_completed,
    }


def page_element(page: ChapterPage, *, navigation: bool = True) -> dict[str, Any]:
    element: dict[str, Any] = {
        "chapter_id": page.chapter_id,
        "status": page.status.value,
        "course_status": page.course_status.value,
        "title": page.title,
    }
    if navigation:
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


class GetChapters(Endpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, user_id, (target,) = self.parse_for_visitor(req, Options, course_target)
        catalogue = self.services.catalogue.current()
        live_course(catalogue, target.course_id)
        progress = (
            UserProgress()
            if user_id is None
            else self.services.store.course_progress(
                user_id, target.course_id, with_solutions=False
            )
        )
        course_status = progress.courses.get(target.course_id, Status.NOT_STARTED)
        outline = course_outline(catalogue, target.course_id, progress)
        resp.media = [_outline_element(row, course_status) for row in outline]


class GetChapter(Endpoint):
    """`chapter_id` (or a task inside it), else `course_id` for the course's first chapter."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        count("get_chapter", "total")
        try:
            _, user_id, (target,) = self.parse_for_visitor(req, Options, chapter_or_course_target)
            catalogue = self.services.catalogue.current()
            if target.chapter_id is None:
                first = catalogue.first_chapter(live_course(catalogue, target.course_id).id)
                if first is None:
                    raise InvalidInput({"course_id": "the course has no chapters"})
                chapter = first
            else:
                chapter = live_chapter(catalogue, target.chapter_id)
        except InvalidInput:
            count("get_chapter", "err_client")
            raise
        if user_id is None:
            count("get_chapter", "anonymous")
            page = chapter_page(catalogue, chapter, None, None, {})
        else:
            course_status, chapter_status, items = self.services.store.chapter_progress(
                user_id, chapter.id
            )
            page = chapter_page(catalogue, chapter, chapter_status, course_status, items)
        count("get_chapter", "ok")
        resp.media = page_element(page)


class GetActiveChapter(Endpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, user_id, (target,) = self.parse_for_user(req, Options, course_target)
        catalogue = self.services.catalogue.current()
        course = live_course(catalogue, target.course_id)
        progress = self.services.store.course_progress(user_id, course.id, with_solutions=False)
        if progress.courses.get(course.id) is not Status.IN_PROGRESS:
            resp.media = {"error": "Course is not in state 'in_progress' for user"}
            return
        row = active_row(course_outline(catalogue, course.id, progress))
        if row is None:
            resp.media = {"error": "No active chapter for user"}
            return
        if row.kind is OutlineKind.PROJECT:
            resp.media = {
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
            return
        chapter = live_chapter(catalogue, row.item_id)
        course_status, chapter_status, items = self.services.store.chapter_progress(
            user_id, chapter.id
        )
        page = chapter_page(catalogue, chapter, chapter_status, course_status, items)
        resp.media = page_element(page)


class GetProgress(Endpoint):
    """`check_practice`, which the site sends, is ignored as in the original."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, user_id, (chapter_id,) = self.parse_for_user(req, Options, chapter_target)
        catalogue = self.services.catalogue.current()
        chapter = live_chapter(catalogue, chapter_id)
        _, chapter_status, items = self.services.store.chapter_progress(user_id, chapter.id)
        task_ids = [task.id for task in catalogue.tasks_of(chapter.id)]
        summary = chapter_summary(
            task_ids, {task_id: item.status for task_id, item in items.items()}, chapter_status
        )
        body: dict[str, Any] = {"user_status_on_chapter": summary.user_status_on_chapter}
        if summary.not_completed_tasks:
            body["not_completed_tasks"] = list(summary.not_completed_tasks)
        next_id = catalogue.next_item_id(chapter.id)
        if next_id:
            body["next_chapter_id"] = next_id
        projects: list[dict[str, str]] = []
        if summary.user_status_on_chapter == CHAPTER_COMPLETED:
            progress = self.services.store.course_progress(
                user_id, chapter.course_id, with_solutions=False
            )
            chapter_ids = [c.id for c in catalogue.chapters_of(chapter.course_id)]
            if all_chapters_completed(chapter_ids, progress.chapters):
                body["is_course_completed"] = True
                for project in catalogue.projects_of(chapter.course_id):
                    item = progress.projects.get(project.id)
                    status = item.status if item else Status.NOT_STARTED
                    projects.append(
                        {"title": project.title, "project_id": project.id, "status": status.value}
                    )
        body["course_id"] = chapter.course_id
        if projects:
            body["practice_projects"] = projects
        resp.media = body


class UpdateChapterProgress(Endpoint):
    """Domain refusals keep HTTP 200 and the original bodies: the site reads them."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        count("update_chapter_progress", "total")
        try:
            options, user_id, (chapter_id, _) = self.parse_for_user(
                req, Options, chapter_target, required_status
            )
            catalogue = self.services.catalogue.current()
            chapter = live_chapter(catalogue, chapter_id)
        except InvalidInput:
            count("update_chapter_progress", "err_client")
            raise
        ids = {"chapter_id": chapter.id, "course_id": chapter.course_id}
        course_chapters = [c.id for c in catalogue.chapters_of(chapter.course_id)]
        update = self.services.store.update_chapter_status(
            user_id,
            chapter.id,
            options.status,
            live_task_ids=[task.id for task in catalogue.tasks_of(chapter.id)],
            course_chapter_ids_in_order=course_chapters,
        )
        match update.decision:
            case Apply(status=status):
                count("update_chapter_progress", "ok")
                if status is Status.COMPLETED:
                    count("update_chapter_progress", "ok_completed")
                resp.media = {**ids, "status": "ok"}
            case NoAction():
                count("update_chapter_progress", "no_action")
                resp.media = {
                    "chapter_id": update.chapter_id,
                    "course_id": chapter.course_id,
                    "status": "no_action",
                }
            case Refused(current_status=current, new_status=new):
                count("update_chapter_progress", "err_status")
                resp.media = {
                    **ids,
                    "current_status": current,
                    "error": "Couldn't change status",
                    "new_status": new,
                }
            case NotAllCompleted():
                count("update_chapter_progress", "err_status")
                resp.media = {"error": "Not all tasks in chapter are completed"}
