"""The catalogue a learner sees, over the in-memory ports: gated courses only for members, one
membership read per request at most, views kept per set of hidden courses."""

from __future__ import annotations

import json

from attrs import evolve

from handyman_core.catalogue import Catalogue
from handyman_core.ids import CourseId
from handyman_core.segment_changes import read_change
from handyman_core.segments import NewSegment, SegmentName
from handyman_service.visible_catalogue import catalogue_for
from tests.service.conftest import EXAMPLE, NOW, SOURCE
from tests.service.use_case_context import world

BETA = SegmentName("BETA")
COURSE = CourseId("pythonstart")


def gated(catalogue: Catalogue, segment: SegmentName) -> Catalogue:
    courses = [
        evolve(course, tags=json.dumps({**json.loads(course.tags), "segment": segment}))
        for course in catalogue.courses
    ]
    return evolve(catalogue, courses=courses)


def test_an_ungated_catalogue_is_served_as_it_is_without_reading_segments() -> None:
    here = world()
    catalogue = catalogue_for(here.context, 7)
    assert catalogue is here.context.catalogue.current()


def test_a_gated_course_is_seen_by_members_only_and_views_are_kept() -> None:
    here = world()
    here.store.create_segment(NewSegment(BETA), salt="s", now=NOW)
    here.store.change_memberships(7, read_change({"add": [{"name": BETA}]}), now=NOW)
    here.store.publish(gated(EXAMPLE, BETA), SOURCE)
    assert catalogue_for(here.context, 7).course(COURSE) is not None
    outsider = catalogue_for(here.context, 8)
    assert outsider.course(COURSE) is None
    assert outsider.chapters_of(COURSE) == ()
    assert catalogue_for(here.context, None) is outsider
