"""The segment use cases over the in-memory ports: the clock and the salt come from the context."""

from __future__ import annotations

import pytest

from handyman_core.errors import NotFound
from handyman_core.segment_changes import read_change
from handyman_core.segment_membership import ActiveSegment, Source
from handyman_core.segment_report import PeriodAsked
from handyman_core.segments import NewSegment, Percentage, SegmentEdit, SegmentName
from handyman_service import segments
from tests.service.conftest import NOW
from tests.service.use_case_context import World, world

BETA = SegmentName("BETA")


@pytest.fixture
def here() -> World:
    return world()


def test_a_new_segment_gets_the_context_s_salt_and_clock(here: World) -> None:
    summary = segments.create_segment(here.context, NewSegment(BETA, "d", Percentage(50)))
    assert summary.segment.salt == "test-salt"
    assert summary.segment.created_at == NOW
    assert summary.members == 0


def test_showing_a_name_gives_its_live_segment_and_a_deleted_one_is_gone(here: World) -> None:
    segments.create_segment(here.context, NewSegment(BETA))
    segments.delete_segment(here.context, BETA)
    with pytest.raises(NotFound, match="is deleted"):
        segments.show_segment(here.context, BETA)
    new = segments.create_segment(here.context, NewSegment(BETA))
    assert segments.show_segment(here.context, BETA).segment == new.segment
    with pytest.raises(NotFound):
        segments.show_segment(here.context, SegmentName("NEVER"))


def test_a_change_answers_the_segment_as_changed(here: World) -> None:
    segments.create_segment(here.context, NewSegment(BETA))
    command = segments.ChangeSegment(BETA, SegmentEdit(Percentage(2500), "quarter"))
    changed = segments.change_segment(here.context, command)
    assert (changed.segment.percentage, changed.segment.description) == (
        Percentage(2500),
        "quarter",
    )


def test_changing_a_user_s_segments_answers_them_after_the_change(here: World) -> None:
    segments.create_segment(here.context, NewSegment(BETA))
    command = segments.ChangeUserSegments(7, read_change({"add": [{"name": "BETA"}]}))
    after = segments.change_user_segments(here.context, command)
    assert after == [ActiveSegment(BETA, Source.EXPLICIT, NOW)]
    assert segments.user_segments(here.context, 7) == after


def test_the_report_reads_as_of_the_clock(here: World) -> None:
    segments.create_segment(here.context, NewSegment(BETA, "", Percentage(100)))
    report = segments.segment_report(here.context, PeriodAsked())
    assert (report.period.start.month, report.period.end.month) == (NOW.month, NOW.month % 12 + 1)
    rows = list(report.rows)
    assert [(row.segment, row.user_id, row.percentage) for row in rows] == [
        (BETA, None, Percentage(100))
    ]
    assert segments.expire_memberships(here.context) == 0
