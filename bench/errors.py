"""The one way a benchmark says it cannot go on: a sentence for the reader, no traceback."""

from __future__ import annotations


class BenchmarkError(Exception):
    """Something the benchmark needs is missing or misbehaved; `str()` says what to do."""
