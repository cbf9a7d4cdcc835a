"""LTI 1.1 passback parameters: what an LMS sends with a learner's run so that a grade can be
passed back to it, and so that its attempts can be told apart from everyone else's.

An LMS names itself by `oauth_consumer_key`; `lis_result_sourcedid` names the gradebook cell
(the block holding the task in the LMS) and `lis_outcome_service_url` where a grade is posted.
`lms_user_id` is the learner's id in the LMS, which the statistics API answers as `user_id`.
Unknown keys are refused rather than dropped: the field is new, so a client that misspells a
key learns it at once instead of finding its statistics empty weeks later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from handyman_core.errors import InvalidInput
from handyman_core.unicode_text import is_storable, printable_name

FIELD = "passback_params"
MAX_KEY_LENGTH = 255
MAX_TEXT_LENGTH = 2048
CONSUMER_KEY = "oauth_consumer_key"
SOURCEDID = "lis_result_sourcedid"
OUTCOME_URL = "lis_outcome_service_url"
LMS_USER_ID = "lms_user_id"
_OUTCOME_URL = (
    r"([Hh][Tt][Tt][Pp][Ss]?://[^\u0000-\u0020\u007f/?#]+([/?#][^\u0000-\u0020\u007f]*)?)?"
)
OUTCOME_URL_PATTERN = f"^{_OUTCOME_URL}$"
"""An http:// or https:// URL (the scheme in any case): a host part, then perhaps a path, query
or fragment; no spaces or control characters. The server applies exactly this expression, read
as JSON Schema reads it (`$` is the end of the text, where Python's would also let a final
newline through), so that a URL the document allows is one the server takes."""
_OUTCOME_URL_RULE = re.compile(_OUTCOME_URL)
_LIMITS = {
    CONSUMER_KEY: MAX_KEY_LENGTH,
    SOURCEDID: MAX_TEXT_LENGTH,
    OUTCOME_URL: MAX_TEXT_LENGTH,
    LMS_USER_ID: MAX_KEY_LENGTH,
}


@frozen
class PassbackParams:
    oauth_consumer_key: str
    lis_result_sourcedid: str | None = None
    lis_outcome_service_url: str | None = None
    lms_user_id: str | None = None

    def as_json(self) -> dict[str, str]:
        """The object the statistics API answers: the LTI keys always, `lms_user_id` if known."""
        return passback_json(
            self.oauth_consumer_key,
            self.lis_result_sourcedid,
            self.lis_outcome_service_url,
            self.lms_user_id,
        )


def passback_json(
    consumer_key: str,
    sourcedid: str | None,
    outcome_url: str | None,
    lms_user_id: str | None,
) -> dict[str, str]:
    """`PassbackParams.as_json` from the stored columns, without building the value first (the
    statistics API writes one per attempt it streams)."""
    document = {
        CONSUMER_KEY: consumer_key,
        SOURCEDID: sourcedid or "",
        OUTCOME_URL: outcome_url or "",
    }
    if lms_user_id is not None:
        document[LMS_USER_ID] = lms_user_id
    return document


def parse_passback_params(value: object, field: str = FIELD) -> PassbackParams | None:
    """The parameters from a request body's JSON value; None when absent (`null` or missing).
    Every problem is reported at once, each under `passback_params.<key>`."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInput.field(field, "must be a JSON object")
    problems: dict[str, str] = {}
    texts: dict[str, str | None] = {}
    for key, item in value.items():
        name = f"{field}.{printable_name(str(key))}"
        if key not in _LIMITS:
            problems[name] = "is not a passback parameter (expected one of " + (
                ", ".join(_LIMITS) + ")"
            )
            continue
        problem = _text_problem(item, _LIMITS[key])
        if problem is not None:
            problems[name] = problem
            continue
        texts[key] = item or None
    if CONSUMER_KEY not in problems and not texts.get(CONSUMER_KEY):
        problems[f"{field}.{CONSUMER_KEY}"] = "is required (a non-empty string)"
    url = texts.get(OUTCOME_URL)
    if url is not None and not _is_http_url(url):
        problems[f"{field}.{OUTCOME_URL}"] = "must be an http:// or https:// URL"
    if problems:
        raise InvalidInput(problems)
    consumer_key = texts[CONSUMER_KEY]
    assert consumer_key is not None
    return PassbackParams(
        oauth_consumer_key=consumer_key,
        lis_result_sourcedid=texts.get(SOURCEDID),
        lis_outcome_service_url=url,
        lms_user_id=texts.get(LMS_USER_ID),
    )


def _text_problem(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be a string"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    if "\x00" in value or not is_storable(value):
        return "must be text without NUL characters or lone surrogates"
    return None


def _is_http_url(value: str) -> bool:
    return _OUTCOME_URL_RULE.fullmatch(value) is not None
