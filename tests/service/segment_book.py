"""Segments in memory: the store's segment port over dictionaries, for the use-case tests.

It applies the core's rules exactly where the store does, lazily settling expired inclusions
(on the next change that touches them, a percentage change or deletion of their segment, the
expiry job) and reporting the unsettled ones from their state, so the port contract suite can
hold it and the store to the same answers, call by call.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from datetime import datetime

from attrs import define, evolve, field

from handyman_core.segment_buckets import PercentageChange
from handyman_core.segment_changes import ChangeDraft, ChangeOutcome, apply_change, check_change
from handyman_core.segment_history import (
    HistoryEvent,
    creation_events,
    deletion_events,
    percentage_event,
    settle,
)
from handyman_core.segment_membership import (
    ActiveSegment,
    ExplicitState,
    Included,
    SegmentRollout,
    active_segments,
    effective_state,
)
from handyman_core.segment_merge import MembershipTransfer, transfer_memberships
from handyman_core.segment_report import ReportPeriod, ReportRow, report_order
from handyman_core.segments import (
    NewSegment,
    Segment,
    SegmentEdit,
    SegmentName,
    SegmentSummary,
    check_name_free,
    current_by_name,
    deleted,
    require_live,
)


@define
class SegmentBook:
    segments: dict[int, Segment] = field(factory=dict)
    states: dict[tuple[int, int], ExplicitState] = field(factory=dict)
    """(user id, segment id) -> the user's explicit state: the membership rows."""
    events: list[HistoryEvent] = field(factory=list)
    _ids: Iterator[int] = field(factory=lambda: itertools.count(1))

    def named(self, name: SegmentName) -> Segment | None:
        return current_by_name([s for s in self.segments.values() if s.name == name])

    def create_segment(self, new: NewSegment, *, salt: str, now: datetime) -> Segment:
        check_name_free(new.name, self.named(new.name))
        segment = Segment(next(self._ids), new.name, new.description, new.percentage, salt, now)
        self.segments[segment.segment_id] = segment
        self.events += creation_events(segment)
        return segment

    def change_segment(self, name: SegmentName, edit: SegmentEdit, *, now: datetime) -> Segment:
        segment = require_live(self.named(name), name)
        changed = segment
        if edit.description is not None:
            changed = evolve(changed, description=edit.description)
        if edit.percentage is not None and edit.percentage != segment.percentage:
            self._settle_segment(segment, now)
            event = percentage_event(segment, edit.percentage, now)
            self.events += [] if event is None else [event]
            changed = evolve(changed, percentage=edit.percentage)
        self.segments[segment.segment_id] = changed
        return changed

    def delete_segment(self, name: SegmentName, *, now: datetime) -> Segment:
        current = self.named(name)
        gone = deleted(current, name, now)
        assert current is not None
        self._settle_segment(current, now)
        rows = self._rows_of(current.segment_id)
        self.events += deletion_events(current, rows, now)
        for user_id, _ in rows:
            del self.states[(user_id, current.segment_id)]
        self.segments[current.segment_id] = gone
        return gone

    def segment_summaries(
        self, now: datetime, name: SegmentName | None = None
    ) -> list[SegmentSummary]:
        chosen = [s for s in self.segments.values() if name is None or s.name == name]
        return [
            SegmentSummary(segment, self._members(segment, now))
            for segment in sorted(chosen, key=lambda s: (s.name, s.segment_id))
        ]

    def user_segments(self, user_id: int, now: datetime) -> list[ActiveSegment]:
        states = {sid: state for (uid, sid), state in self.states.items() if uid == user_id}
        candidates = [
            SegmentRollout(segment, self._rollout_changes(segment.segment_id))
            for segment in self.segments.values()
            if segment.live
        ]
        return active_segments(user_id, candidates, states, now)

    def change_memberships(
        self, user_id: int, draft: ChangeDraft, *, now: datetime
    ) -> ChangeOutcome:
        change = check_change(draft, {name: self.named(name) for name in draft.names()}, now)
        touched = {segment.segment_id for segment in change.segments()}
        states = {
            sid: state
            for (uid, sid), state in self.states.items()
            if uid == user_id and sid in touched
        }
        outcome = apply_change(user_id, change, states, now)
        self._write(user_id, outcome.states)
        self.events += outcome.events
        return outcome

    def expire_memberships(self, *, now: datetime) -> int:
        return sum(
            self._settle_segment(segment, now)
            for segment in sorted(self.segments.values(), key=lambda s: s.segment_id)
            if segment.live
        )

    def segment_history(self, period: ReportPeriod, now: datetime) -> Iterator[ReportRow]:
        rows = [
            ReportRow.of(event, self.segments[event.segment_id].name)
            for event in self.events
            if period.contains(event.at)
        ]
        for (user_id, segment_id), state in sorted(self.states.items()):
            segment = self.segments[segment_id]
            if not isinstance(state, Included) or state.expires_at is None:
                continue
            if not period.contains(state.expires_at):
                continue
            _, event = settle(segment, user_id, state, now)
            if event is not None:
                rows.append(ReportRow.of(event, segment.name))
        return iter(sorted(rows, key=report_order))

    def transfer(
        self, source: int, target: int, *, now: datetime, keep_source: bool
    ) -> MembershipTransfer:
        """What merge_users (keep_source False) and split_users do to explicit memberships."""
        touched = {sid for (uid, sid) in self.states if uid in (source, target)}
        transfer = transfer_memberships(
            {sid: self.segments[sid] for sid in touched},
            (source, self._states_of(source)),
            (target, self._states_of(target)),
            now,
            keep_source=keep_source,
        )
        self._write(source, transfer.source_states)
        self._write(target, transfer.target_states)
        self.events += transfer.events
        return transfer

    def _states_of(self, user_id: int) -> dict[int, ExplicitState]:
        return {sid: state for (uid, sid), state in self.states.items() if uid == user_id}

    def _write(self, user_id: int, states: Mapping[int, ExplicitState | None]) -> None:
        for segment_id, state in states.items():
            self.states.pop((user_id, segment_id), None)
            if state is not None:
                self.states[(user_id, segment_id)] = state

    def _rows_of(self, segment_id: int) -> list[tuple[int, ExplicitState]]:
        return sorted((uid, s) for (uid, sid), s in self.states.items() if sid == segment_id)

    def _settle_segment(self, segment: Segment, now: datetime) -> int:
        settled = 0
        for user_id, state in self._rows_of(segment.segment_id):
            after, event = settle(segment, user_id, state, now)
            if after is None:
                del self.states[(user_id, segment.segment_id)]
                settled += 1
            if event is not None:
                self.events.append(event)
        return settled

    def _members(self, segment: Segment, now: datetime) -> int:
        return sum(
            1
            for _, state in self._rows_of(segment.segment_id)
            if isinstance(effective_state(state, now), Included)
        )

    def _rollout_changes(self, segment_id: int) -> list[PercentageChange]:
        return [
            PercentageChange(event.at, event.percentage)
            for event in self.events
            if event.segment_id == segment_id and event.percentage is not None
        ]
