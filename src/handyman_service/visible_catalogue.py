"""The catalogue as one learner may see it: without the courses gated by segments the learner is
not in (docs/segments.md), so that every read and write naming such a course, or anything in
it, answers exactly as for an unknown id.

The learner's segments are read only when some course is gated at all, and the few distinct
views are kept by the catalogue cache.
"""

from __future__ import annotations

from handyman_core.catalogue import Catalogue
from handyman_core.course_gating import gating_segments, hidden_courses
from handyman_service.context import ServiceContext


def catalogue_for(context: ServiceContext, user_id: int | None) -> Catalogue:
    """An anonymous visitor is in no segment."""
    catalogue = context.catalogue.current()
    gates = gating_segments(catalogue)
    if not gates:
        return catalogue
    member_of = set()
    if user_id is not None:
        active = context.segments.user_segments(user_id, context.clock())
        member_of = {segment.name for segment in active} & gates
    return context.catalogue.without(catalogue, hidden_courses(catalogue, member_of))
