"""User segments (docs/segments.md): /api/v1/segments, /api/v1/users/{user_id}/segments and the
history report /api/v1/reports/segments.

Reading needs only the API token (when one is set); changing segments or memberships is an admin
operation (the admin token, or a caller from an admin network).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import ClassVar

import falcon

from handyman_core.errors import InvalidInput
from handyman_core.ids import parse_user_id
from handyman_core.segment_changes import read_change
from handyman_core.segment_report import ReportPeriod, ReportRow, read_period
from handyman_core.segments import (
    SegmentSummary,
    parse_segment_name,
    read_new_segment,
    read_segment_edit,
)
from handyman_http.body_limit import read_json_object
from handyman_http.endpoints.base import Endpoint
from handyman_http.openapi_segments import CSV, SEGMENTS_PATH
from handyman_http.request_check import RequestCheck
from handyman_http.segment_documents import (
    csv_chunks,
    json_chunks,
    segment_json,
    user_segments_json,
)
from handyman_service import segments

CHANGING_METHODS = frozenset({"POST", "PATCH", "DELETE"})
REPORT_FORMATS = ("csv", "json")


class SegmentsEndpoint(Endpoint):
    admin_methods: ClassVar[frozenset[str]] = CHANGING_METHODS

    def json_body(self, req: falcon.Request) -> dict[str, object]:
        return read_json_object(req, self.settings.body_limit)


def _render(resp: falcon.Response, summary: SegmentSummary) -> None:
    resp.media = segment_json(summary.segment, summary.members)


class Segments(SegmentsEndpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        listed = segments.list_segments(self.context)
        resp.media = {"segments": [segment_json(s.segment, s.members) for s in listed]}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        summary = segments.create_segment(self.context, read_new_segment(self.json_body(req)))
        resp.status = falcon.HTTP_201
        resp.location = f"{SEGMENTS_PATH}/{summary.segment.name}"
        _render(resp, summary)


class Segment(SegmentsEndpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        _render(resp, segments.show_segment(self.context, parse_segment_name(name, "name")))

    def on_patch(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        check = RequestCheck()
        segment_name = check.take(parse_segment_name, name, "name")
        edit = check.then(check.take(self.json_body, req), read_segment_edit)
        check.done()
        command = segments.ChangeSegment(segment_name.value, edit.value)
        _render(resp, segments.change_segment(self.context, command))

    def on_delete(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        _render(resp, segments.delete_segment(self.context, parse_segment_name(name, "name")))


class UserSegments(SegmentsEndpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        user = parse_user_id(user_id)
        resp.media = user_segments_json(user, segments.user_segments(self.context, user))

    def on_post(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        """The draft's own problems are reported with the user id's; unknown and deleted names
        are found by the use case, which names every offending entry."""
        check = RequestCheck()
        user = check.take(parse_user_id, user_id)
        body = check.take(self.json_body, req)
        draft = check.then(body, read_change)
        if not user.passed and draft.passed:
            for field, problem in draft.value.problems.items():
                check.problem(field, problem)
        check.done()
        command = segments.ChangeUserSegments(user.value, draft.value)
        active = segments.change_user_segments(self.context, command)
        resp.media = user_segments_json(user.value, active)


class SegmentReport(Endpoint):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        check = RequestCheck()
        asked = check.take(
            read_period, req.get_param("month"), req.get_param("from"), req.get_param("to")
        )
        as_json = check.take(_wants_json, req)
        check.done()
        report = segments.segment_report(self.context, asked.value)
        rows = report.rows
        if as_json.value:
            resp.content_type = falcon.MEDIA_JSON
            resp.stream = _started(json_chunks(report.period, rows), rows)
            return
        resp.content_type = CSV
        name = _file_name(report.period)
        resp.set_header("Content-Disposition", f'attachment; filename="{name}.csv"')
        resp.stream = _started(csv_chunks(rows), rows)


def _wants_json(req: falcon.Request) -> bool:
    chosen = req.get_param("format")
    if chosen is not None and chosen not in REPORT_FORMATS:
        raise InvalidInput.field("format", "must be csv or json")
    if chosen is not None:
        return chosen == "json"
    return req.client_prefers([CSV, "text/csv", falcon.MEDIA_JSON]) == falcon.MEDIA_JSON


def _file_name(period: ReportPeriod) -> str:
    """`segments-2026-06` for a calendar month, else the bounds."""
    start, end = period.start, period.end
    if read_period(f"{start:%Y-%m}").resolve(start) == period:
        return f"segments-{start:%Y-%m}"
    return f"segments-{start:%Y%m%dT%H%M%SZ}-{end:%Y%m%dT%H%M%SZ}"


def _started(chunks: Iterator[bytes], rows: Iterator[ReportRow]) -> Iterator[bytes]:
    """The first chunk is produced here, in the resource, so that a failure to start the report
    (the database down) is an error answer instead of a broken stream; the rest streams, and
    closing the response (the client went away) closes the report and its database
    connection at once."""
    try:
        first = next(chunks)
    except BaseException:
        _close(rows)
        raise

    def rest() -> Generator[bytes, None, None]:
        try:
            yield first
            yield from chunks
        finally:
            _close(chunks)
            _close(rows)

    return rest()


def _close(iterator: Iterator[object]) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        close()
