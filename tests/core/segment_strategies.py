"""Hypothesis strategies for segments, explicit states and instants, shared by the core and the
store tests. Instants are drawn close together around a fixed moment, so that expiries fall on
both sides of the instants asked about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from handyman_core.segment_membership import Excluded, ExplicitState, Included
from handyman_core.segments import BUCKETS, Percentage, Segment, SegmentName

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
"""The clock of the tests: every drawn instant is within a few hours of it."""

names = st.from_regex(r"[A-Z][A-Z0-9_]{0,63}", fullmatch=True).map(SegmentName)
short_names = st.sampled_from(["BETA", "NEW_EDITOR_50", "RUST_2026", "X"]).map(SegmentName)
salts = st.text(alphabet="0123456789abcdef", min_size=1, max_size=16)
percentages = st.integers(min_value=0, max_value=BUCKETS).map(Percentage) | st.sampled_from(
    [Percentage(0), Percentage(BUCKETS), Percentage(5000)]
)
user_ids = st.integers(min_value=1, max_value=2**63 - 1)
offsets = st.integers(min_value=-3 * 3600 * 10**6, max_value=3 * 3600 * 10**6)
instants = offsets.map(lambda micros: T0 + timedelta(microseconds=micros))


def segments(
    *, live: bool | None = None, segment_ids: st.SearchStrategy[int] | None = None
) -> st.SearchStrategy[Segment]:
    deleted_at = st.none() if live is True else instants if live is False else st.none() | instants
    return st.builds(
        Segment,
        segment_id=segment_ids if segment_ids is not None else st.integers(1, 10**6),
        name=short_names,
        description=st.just(""),
        percentage=percentages,
        salt=salts,
        created_at=instants,
        deleted_at=deleted_at,
    )


def inclusions() -> st.SearchStrategy[Included]:
    return st.builds(Included, since=instants, expires_at=st.none() | instants)


def exclusions() -> st.SearchStrategy[Excluded]:
    return st.builds(Excluded, since=instants)


def explicit_states() -> st.SearchStrategy[ExplicitState]:
    return st.one_of(inclusions(), exclusions())
