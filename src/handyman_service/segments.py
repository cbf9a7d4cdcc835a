"""User segments (docs/segments.md): segments themselves, a user's memberships, the history.

The clock and a new segment's salt come from the context, so the rules stay free of ambient
time and randomness and tests can pin both.
"""

from __future__ import annotations

from collections.abc import Iterator

from attrs import frozen

from handyman_core.errors import NotFound
from handyman_core.segment_changes import ChangeDraft
from handyman_core.segment_membership import ActiveSegment
from handyman_core.segment_report import PeriodAsked, ReportPeriod, ReportRow
from handyman_core.segments import (
    NewSegment,
    SegmentEdit,
    SegmentName,
    SegmentSummary,
    current_by_name,
)
from handyman_service.context import ServiceContext


def create_segment(context: ServiceContext, new: NewSegment) -> SegmentSummary:
    segment = context.segments.create_segment(new, salt=context.new_salt(), now=context.clock())
    return SegmentSummary(segment, 0)


@frozen
class ChangeSegment:
    name: SegmentName
    edit: SegmentEdit


def change_segment(context: ServiceContext, command: ChangeSegment) -> SegmentSummary:
    now = context.clock()
    context.segments.change_segment(command.name, command.edit, now=now)
    return show_segment(context, command.name)


def delete_segment(context: ServiceContext, name: SegmentName) -> SegmentSummary:
    segment = context.segments.delete_segment(name, now=context.clock())
    return SegmentSummary(segment, 0)


def list_segments(context: ServiceContext) -> list[SegmentSummary]:
    return context.segments.segment_summaries(context.clock())


def show_segment(context: ServiceContext, name: SegmentName) -> SegmentSummary:
    """The live segment of the name. A deleted segment is gone from here (NotFound saying so);
    the list still shows it, flagged."""
    summaries = context.segments.segment_summaries(context.clock(), name)
    current = current_by_name([summary.segment for summary in summaries])
    if current is None:
        raise NotFound(f"no segment named {name}")
    if not current.live:
        raise NotFound(f"segment {name} is deleted")
    return next(summary for summary in summaries if summary.segment == current)


def user_segments(context: ServiceContext, user_id: int) -> list[ActiveSegment]:
    return context.segments.user_segments(user_id, context.clock())


@frozen
class ChangeUserSegments:
    user_id: int
    draft: ChangeDraft


def change_user_segments(
    context: ServiceContext, command: ChangeUserSegments
) -> list[ActiveSegment]:
    """All or nothing; answers the user's segments after the change."""
    now = context.clock()
    context.segments.change_memberships(command.user_id, command.draft, now=now)
    return context.segments.user_segments(command.user_id, now)


@frozen
class SegmentReport:
    period: ReportPeriod
    rows: Iterator[ReportRow]
    """Read as they are consumed; close it to stop early."""


def segment_report(context: ServiceContext, asked: PeriodAsked) -> SegmentReport:
    """The history over the period asked, as of now (the current month when none is asked)."""
    now = context.clock()
    period = asked.resolve(now)
    return SegmentReport(period, context.segments.segment_history(period, now))


def expire_memberships(context: ServiceContext) -> int:
    """What `handyman segments expire` runs; membership never waits for it."""
    return context.segments.expire_memberships(now=context.clock())
