"""The segment port's contract: the in-memory book and the real store (SQLite and PostgreSQL)
answer alike, call by call."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from handyman_core.errors import Conflict, InvalidInput, NotFound
from handyman_core.instants import format_instant
from handyman_core.segment_changes import read_change
from handyman_core.segment_history import Operation
from handyman_core.segment_membership import ActiveSegment, Source
from handyman_core.segment_report import ReportPeriod
from handyman_core.segments import NewSegment, Percentage, SegmentEdit, SegmentName
from tests.service.conftest import NOW, Ports

BETA = SegmentName("BETA")
ALL = SegmentName("EVERYBODY")
HOUR = timedelta(hours=1)
EVERYTHING = ReportPeriod(NOW - timedelta(days=30), NOW + timedelta(days=30))
USER = 7


@pytest.fixture
def segments(empty_ports: Ports) -> Ports:
    store = empty_ports.store
    store.create_segment(NewSegment(BETA, "beta testers"), salt="s-beta", now=NOW)
    store.create_segment(NewSegment(ALL, "", Percentage(10_000)), salt="s-all", now=NOW)
    return empty_ports


def change(ports: Ports, body: object, now: datetime = NOW, user: int = USER) -> None:
    ports.store.change_memberships(user, read_change(body), now=now)


def history(ports: Ports, now: datetime = NOW + 10 * HOUR) -> list[tuple[object, ...]]:
    return [
        (row.at, row.segment, row.user_id, row.operation, row.percentage)
        for row in ports.store.segment_history(EVERYTHING, now)
    ]


def test_a_segment_is_created_listed_and_shown(segments: Ports) -> None:
    summaries = segments.store.segment_summaries(NOW)
    assert [(s.segment.name, s.segment.live, s.members) for s in summaries] == [
        (BETA, True, 0),
        (ALL, True, 0),
    ]
    [beta] = segments.store.segment_summaries(NOW, BETA)
    assert beta.segment.description == "beta testers"
    assert beta.segment.salt == "s-beta"
    assert beta.segment.created_at == NOW


def test_a_live_name_cannot_be_created_twice(segments: Ports) -> None:
    with pytest.raises(Conflict):
        segments.store.create_segment(NewSegment(BETA), salt="x", now=NOW)


def test_an_added_member_is_listed_until_the_exact_instant_it_expires(segments: Ports) -> None:
    expires = NOW + HOUR
    change(segments, {"add": [{"name": BETA, "expires_at": format_instant(expires)}]})
    listed = segments.store.user_segments(USER, expires - timedelta(microseconds=1))
    assert ActiveSegment(BETA, Source.EXPLICIT, NOW, expires) in listed
    assert BETA not in [s.name for s in segments.store.user_segments(USER, expires)]


def test_a_rollout_lists_every_user_until_one_is_removed(segments: Ports) -> None:
    assert [s.name for s in segments.store.user_segments(USER, NOW)] == [ALL]
    change(segments, {"remove": [ALL]})
    assert segments.store.user_segments(USER, NOW) == []
    assert [s.name for s in segments.store.user_segments(USER + 1, NOW)] == [ALL]


def test_a_refused_change_changes_nothing_and_names_every_entry(segments: Ports) -> None:
    change(segments, {"add": [{"name": BETA}]})
    before = (segments.store.user_segments(USER, NOW), history(segments))
    with pytest.raises(InvalidInput) as raised:
        change(segments, {"add": [{"name": ALL}, {"name": "nope"}], "remove": [BETA, BETA]})
    assert set(raised.value.fields) == {"add[1].name", "remove[1]"}
    with pytest.raises(NotFound) as missing:
        change(segments, {"add": [{"name": ALL}, {"name": "NOPE"}]})
    assert set(missing.value.fields) == {"add[1].name"}
    assert (segments.store.user_segments(USER, NOW), history(segments)) == before


def test_deleting_makes_members_leave_and_twice_is_a_conflict(segments: Ports) -> None:
    change(segments, {"add": [{"name": BETA}]})
    segments.store.delete_segment(BETA, now=NOW + HOUR)
    assert BETA not in [s.name for s in segments.store.user_segments(USER, NOW + HOUR)]
    with pytest.raises(Conflict):
        segments.store.delete_segment(BETA, now=NOW + HOUR)
    with pytest.raises(NotFound):
        segments.store.delete_segment(SegmentName("NEVER"), now=NOW)
    with pytest.raises(Conflict):
        change(segments, {"add": [{"name": BETA}]}, NOW + 2 * HOUR)
    assert (NOW + HOUR, BETA, USER, Operation.REMOVED, None) in history(segments)


def test_a_deleted_name_makes_a_new_segment(segments: Ports) -> None:
    old = segments.store.delete_segment(BETA, now=NOW)
    new = segments.store.create_segment(NewSegment(BETA), salt="s2", now=NOW + HOUR)
    assert new.segment_id != old.segment_id
    listed = segments.store.segment_summaries(NOW + HOUR, BETA)
    assert [(s.segment.segment_id, s.segment.live) for s in listed] == [
        (old.segment_id, False),
        (new.segment_id, True),
    ]


def test_a_percentage_change_is_a_segment_level_row(segments: Ports) -> None:
    changed = segments.store.change_segment(
        ALL, SegmentEdit(percentage=Percentage(0)), now=NOW + HOUR
    )
    assert changed.percentage == Percentage(0)
    assert segments.store.user_segments(USER, NOW + HOUR) == []
    assert history(segments)[-1] == (NOW + HOUR, ALL, None, Operation.REMOVED, Percentage(0))
    with pytest.raises(NotFound):
        segments.store.change_segment(SegmentName("NEVER"), SegmentEdit(Percentage(1)), now=NOW)


def test_the_expiry_job_counts_what_it_settles_and_is_idempotent(segments: Ports) -> None:
    soon = format_instant(NOW + HOUR)
    change(
        segments, {"add": [{"name": BETA, "expires_at": soon}, {"name": ALL, "expires_at": soon}]}
    )
    report = history(segments)
    assert segments.store.expire_memberships(now=NOW + 2 * HOUR) == 2
    assert segments.store.expire_memberships(now=NOW + 2 * HOUR) == 0
    assert history(segments) == report
    assert (NOW + HOUR, BETA, USER, Operation.EXPIRED, None) in report
    assert all(row[1] != ALL or row[2] is None for row in report)


def test_members_are_counted_at_the_instant_asked(segments: Ports) -> None:
    change(segments, {"add": [{"name": BETA, "expires_at": format_instant(NOW + HOUR)}]})
    change(segments, {"add": [{"name": BETA}]}, user=USER + 1)
    counts = {s.segment.name: s.members for s in segments.store.segment_summaries(NOW)}
    assert counts == {BETA: 2, ALL: 0}
    later = {s.segment.name: s.members for s in segments.store.segment_summaries(NOW + HOUR)}
    assert later == {BETA: 1, ALL: 0}


def test_a_merge_carries_explicit_memberships_and_a_split_copies_them(segments: Ports) -> None:
    change(segments, {"add": [{"name": BETA}]}, user=11)
    change(segments, {"remove": [ALL]}, user=12)
    segments.store.merge_users(12, 11, now=NOW + HOUR)
    assert segments.store.user_segments(12, NOW + HOUR) == [
        ActiveSegment(BETA, Source.EXPLICIT, NOW)
    ]
    assert [s.name for s in segments.store.user_segments(11, NOW + HOUR)] == [ALL]
    segments.store.split_users(12, 13, now=NOW + 2 * HOUR)
    assert segments.store.user_segments(13, NOW + 2 * HOUR) == [
        ActiveSegment(BETA, Source.EXPLICIT, NOW)
    ]
    moves = [row for row in history(segments) if row[0] == NOW + HOUR]
    assert moves == [
        (NOW + HOUR, BETA, 11, Operation.REMOVED, None),
        (NOW + HOUR, BETA, 12, Operation.ADDED, None),
    ]
