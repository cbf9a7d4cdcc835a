"""The Falcon WSGI application: routes, middleware and error mapping, assembled once per worker."""

from __future__ import annotations

import functools
from typing import Any

import falcon
import falcon.media
import orjson

from handyman_http import error_responses
from handyman_http.access import AccessMiddleware
from handyman_http.endpoints.accounts import MergeUsers, SplitUsers
from handyman_http.endpoints.base import Endpoint
from handyman_http.endpoints.chapters import (
    GetActiveChapter,
    GetChapter,
    GetChapters,
    GetProgress,
    UpdateChapterProgress,
)
from handyman_http.endpoints.courses import (
    CoursesStats,
    CourseStats,
    GetCourseDescription,
    GetCourseInfo,
    GetCourses,
    UpdateCourseProgress,
)
from handyman_http.endpoints.playground import GetPlaygroundCode, InjectPlaygroundCode, RunCode
from handyman_http.endpoints.practice import GetPractice, HandlePracticeCode
from handyman_http.endpoints.runs import RUNS_PATH, Run, Runs, StopRun
from handyman_http.endpoints.segments import Segment, SegmentReport, Segments, UserSegments
from handyman_http.endpoints.service import Health, OpenApi
from handyman_http.endpoints.statistics import (
    DAILY_PATH,
    STATISTICS_PATH,
    DailyStats,
    Statistics,
)
from handyman_http.endpoints.tasks import GetTask, RunTask, SaveTask
from handyman_http.metrics import MetricsMiddleware, MetricsResource
from handyman_http.openapi_segments import (
    SEGMENT_PATH,
    SEGMENT_REPORT_PATH,
    SEGMENTS_PATH,
    USER_SEGMENTS_PATH,
)
from handyman_http.request_id import RequestIdMiddleware
from handyman_http.services import Services

LEGACY_ROUTES: dict[str, type[Endpoint]] = {
    "/get_courses": GetCourses,
    "/get_course_info": GetCourseInfo,
    "/get_course_description": GetCourseDescription,
    "/update_course_progress": UpdateCourseProgress,
    "/update_chapter_progress": UpdateChapterProgress,
    "/get_chapters": GetChapters,
    "/get_chapter": GetChapter,
    "/get_active_chapter": GetActiveChapter,
    "/get_progress": GetProgress,
    "/courses_stats": CoursesStats,
    "/course_stats": CourseStats,
    "/get_task": GetTask,
    "/run_task": RunTask,
    "/save_task": SaveTask,
    "/merge_users": MergeUsers,
    "/split_users": SplitUsers,
    "/get_practice": GetPractice,
    "/handle_practice_code": HandlePracticeCode,
    "/run_code": RunCode,
    "/inject_playground_code": InjectPlaygroundCode,
    "/get_playground_code": GetPlaygroundCode,
}
"""The original's paths, all answering POST with a JSON body and `user_id` in the query."""


WsgiApp = falcon.App[falcon.Request, falcon.Response]

JSON_HANDLER = falcon.media.JSONHandler(
    dumps=functools.partial(orjson.dumps, option=orjson.OPT_NON_STR_KEYS), loads=orjson.loads
)
"""Bodies are written with orjson, several times faster than the standard library's encoder."""


def create_app(services: Services) -> WsgiApp:
    middleware: list[Any] = [
        RequestIdMiddleware(),
        MetricsMiddleware(),
        AccessMiddleware(services.settings),
    ]
    app = WsgiApp(middleware=middleware)
    app.req_options.strip_url_path_trailing_slash = True
    app.resp_options.default_media_type = falcon.MEDIA_JSON
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = JSON_HANDLER
    error_responses.install(app, services.dependency_failure)
    for path, resource in LEGACY_ROUTES.items():
        app.add_route(path, resource(services))
    app.add_route(RUNS_PATH, Runs(services))
    app.add_route(RUNS_PATH + "/{run_id}", Run(services))
    app.add_route(RUNS_PATH + "/{run_id}/stop", StopRun(services))
    app.add_route(STATISTICS_PATH, Statistics(services))
    app.add_route(DAILY_PATH, DailyStats(services))
    app.add_route(SEGMENTS_PATH, Segments(services))
    app.add_route(SEGMENT_PATH, Segment(services))
    app.add_route(USER_SEGMENTS_PATH, UserSegments(services))
    app.add_route(SEGMENT_REPORT_PATH, SegmentReport(services))
    app.add_route("/health", Health(services))
    app.add_route("/openapi.json", OpenApi(services))
    declared = [
        counters
        for resource in LEGACY_ROUTES.values()
        if (counters := resource.counters) is not None
    ]
    app.add_route("/metrics", MetricsResource(declared))
    return app
