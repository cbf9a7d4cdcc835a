"""Shared fixtures. Tests that need something the machine lacks skip with a reason, except
under CI=true, where a missing prerequisite is a failure: nothing may silently skip in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REAL_CATALOGUE = PROJECT_ROOT.parent / "shared" / "courses" / "senjun"
EXAMPLE_COURSES = PROJECT_ROOT / "examples" / "courses"

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if IN_CI else "dev")


def require(condition: bool, reason: str) -> None:
    """Skip when a prerequisite is missing on a developer's machine; fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"prerequisite missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_catalogue_path() -> Path:
    require(
        REAL_CATALOGUE.is_dir(),
        f"the real course catalogue is not at {REAL_CATALOGUE} (it exists only beside the "
        "project's development checkout)",
    )
    return REAL_CATALOGUE


@pytest.fixture(scope="session")
def example_courses_path() -> Path:
    return EXAMPLE_COURSES
