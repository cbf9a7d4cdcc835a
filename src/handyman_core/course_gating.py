"""Courses gated by a segment: a learner outside the segment sees the catalogue as if the course
did not exist.

Every catalogue read (the course list, a course's page, its chapters, tasks, examples and
practice projects, and every write naming one of them) answers from the learner's view, so a
gated course is 404 to a non-member exactly as an unknown course is, with nothing that tells it
exists. Views are few (one per set of hidden courses), so callers may keep them.
"""

from __future__ import annotations

from collections.abc import Collection

from handyman_core.catalogue import Catalogue
from handyman_core.ids import CourseId
from handyman_core.segments import SegmentName


def gating_segments(catalogue: Catalogue) -> frozenset[SegmentName]:
    """The segments some course is gated by: membership in any other changes no view."""
    return frozenset(course.segment for course in catalogue.courses if course.segment is not None)


def hidden_courses(catalogue: Catalogue, member_of: Collection[SegmentName]) -> frozenset[CourseId]:
    """The gated courses of segments the learner is not in."""
    return frozenset(
        course.id
        for course in catalogue.courses
        if course.segment is not None and course.segment not in member_of
    )


def without_courses(catalogue: Catalogue, hidden: Collection[CourseId]) -> Catalogue:
    """The catalogue minus the `hidden` courses and everything in them."""
    if not hidden:
        return catalogue
    hidden_chapters = {
        chapter.id for course_id in hidden for chapter in catalogue.chapters_of(course_id)
    }
    return Catalogue(
        courses=tuple(course for course in catalogue.courses if course.id not in hidden),
        chapters=tuple(c for c in catalogue.chapters if c.course_id not in hidden),
        tasks=tuple(t for t in catalogue.tasks if t.chapter_id not in hidden_chapters),
        examples=tuple(e for e in catalogue.examples if e.chapter_id not in hidden_chapters),
        projects=tuple(p for p in catalogue.projects if p.course_id not in hidden),
    )
