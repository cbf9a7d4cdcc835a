"""Reading a request body without letting a client make us buffer more than the limit."""

from __future__ import annotations

import falcon


def read_body(req: falcon.Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes; 413 past it. A body with a Content-Length is read
    through Falcon's bounded stream; a chunked one (no Content-Length) from the server's stream,
    which gunicorn de-chunks, capped at `limit + 1` bytes all the same."""
    if req.content_length is not None and req.content_length > limit:
        raise too_large(limit)
    stream = req.bounded_stream if req.content_length is not None else req.stream
    raw: bytes = stream.read(limit + 1)
    if len(raw) > limit:
        raise too_large(limit)
    return raw


def too_large(limit: int) -> falcon.HTTPContentTooLarge:
    return falcon.HTTPContentTooLarge(description=f"The request body exceeds {limit} bytes")
