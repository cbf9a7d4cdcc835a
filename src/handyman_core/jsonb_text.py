"""Render JSON exactly as PostgreSQL prints a jsonb value, on any database.

The site `json.loads` the `tags` string, but it was always produced by `tags::text` on jsonb, so we
keep that byte format: keys ordered shortest first then bytewise, duplicate keys last-wins,
`", "` and `": "` separators, non-ASCII raw.
"""

from __future__ import annotations

import json
from typing import Any


def jsonb_text(value: Any) -> str:
    """The jsonb text form of an already-parsed JSON value."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: (len(key.encode()), key.encode()))
        members = (f"{_scalar(key)}: {jsonb_text(value[key])}" for key in keys)
        return "{" + ", ".join(members) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(jsonb_text(item) for item in value) + "]"
    return _scalar(value)


def jsonb_text_of_document(document: str) -> str:
    """Parse a JSON document (duplicate keys: last wins, as jsonb) and render it as jsonb text."""
    return jsonb_text(json.loads(document))


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
