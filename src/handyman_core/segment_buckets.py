"""Deterministic percentage rollout, as Unleash and GrowthBook do it: every user id falls in one of
10,000 buckets by a stable hash of the segment's salt and the id, and a segment at p% contains
exactly the users whose bucket is below 100·p.

So membership needs no stored rows and no backfill: it covers users who appear later, it depends
on nobody else, raising p only adds users and lowering it only removes them, and two segments
(two salts) choose independently.

The hash is SHA-256 of the UTF-8 text `"<salt>:<user_id>"` (decimal id); the first eight bytes
of the digest, read as a big-endian unsigned integer, modulo 10,000, give the bucket. Any
language (and PostgreSQL's `sha256()`) can recompute it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from attrs import frozen

from handyman_core.segments import BUCKETS, Percentage


def bucket(salt: str, user_id: int) -> int:
    digest = hashlib.sha256(f"{salt}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_rollout(salt: str, user_id: int, percentage: Percentage) -> bool:
    return bucket(salt, user_id) < percentage.hundredths


@frozen
class PercentageChange:
    """A segment's percentage from `at` on (its creation is the first change, from 0)."""

    at: datetime
    percentage: Percentage


def rollout_since(changes: Sequence[PercentageChange], user_bucket: int) -> datetime | None:
    """When the rollout last reached a bucket: the latest change that took the percentage from
    not covering it to covering it, if it covers it after the last change; else None."""
    since: datetime | None = None
    covered = False
    for change in sorted(changes, key=lambda change: change.at):
        now_covered = user_bucket < change.percentage.hundredths
        if now_covered and not covered:
            since = change.at
        covered = now_covered
    return since if covered else None
