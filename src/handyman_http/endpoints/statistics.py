"""The statistics API (`GET /api/statistics`) and the stored daily figures
(`GET /api/v1/stats/daily`).

The statistics API is the seed vendor's endpoint: its own credentials (`client`,
`client_key` in the query) replace the API token, which an LMS's ETL does not have.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

import falcon

from handyman_core.daily_report import report_csv, report_row
from handyman_core.errors import InvalidInput
from handyman_core.instants import parse_day
from handyman_core.statistics_query import StatisticsQuery, parse_statistics_query
from handyman_http.endpoints.base import Endpoint
from handyman_http.request_check import RequestCheck
from handyman_http.statistics_rendering import daily_json, json_array, json_document, next_link
from handyman_service import statistics

STATISTICS_PATH = "/api/statistics"
DAILY_PATH = "/api/v1/stats/daily"
CSV = "text/csv"


class Statistics(Endpoint):
    own_credentials: ClassVar[bool] = True

    def parse(self, req: falcon.Request) -> StatisticsQuery:
        return parse_statistics_query(
            single_values(req),
            max_range=timedelta(days=self.settings.statistics_max_range_days),
        )

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = self.parse(req)
        answer = statistics.list_statistics(self.context, query)
        resp.content_type = falcon.MEDIA_JSON
        if answer.next_after is not None:
            resp.set_header("Link", next_link(req.path, single_values(req), answer.next_after))
        if query.limit is None:
            resp.stream = json_array(answer.records)
        else:
            resp.data = json_document(answer.records)


class DailyStats(Endpoint):
    def parse(self, req: falcon.Request) -> statistics.DailyQuery:
        params = single_values(req)
        check = RequestCheck()
        first = check.take(_day, params, "from")
        last = check.take(_day, params, "to")
        check.done()
        return statistics.DailyQuery(first.value, last.value, params.get("client"))

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = self.parse(req)
        days = statistics.daily_stats(self.context, query)
        if req.client_prefers([falcon.MEDIA_JSON, CSV]) == CSV:
            resp.content_type = "text/csv; charset=utf-8"
            resp.text = report_csv([report_row(day.figures, day.time_zone) for day in days])
            return
        resp.media = {
            "from": query.first.isoformat(),
            "to": query.last.isoformat(),
            "client": query.client,
            "days": [daily_json(day) for day in days],
        }


def _day(params: dict[str, str], name: str) -> date:
    if name not in params:
        raise InvalidInput.field(name, "is required (YYYY-MM-DD)")
    return parse_day(params[name], name)


def single_values(req: falcon.Request) -> dict[str, str]:
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name, value in req.params.items():
        if isinstance(value, list):
            problems[name] = "must be given once"
        else:
            values[name] = value
    if problems:
        raise InvalidInput(problems)
    return values
