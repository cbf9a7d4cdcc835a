"""A learner may lower any limit of a run but raise none above the defaults."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.run_protocol import LEARNER_LIMIT_CEILING, RunLimits, limits_above

seconds = st.floats(min_value=0.001, max_value=1000, allow_nan=False)
counts = st.integers(min_value=1, max_value=2**40)
limits = st.builds(
    RunLimits,
    cpu_seconds=seconds,
    wall_seconds=seconds,
    memory_bytes=counts,
    processes=counts,
    output_bytes=counts,
    file_size_bytes=counts,
    open_files=counts,
)


@given(limits, limits)
def test_exactly_the_limits_above_the_ceiling_are_named(
    requested: RunLimits, ceiling: RunLimits
) -> None:
    named = set(limits_above(requested, ceiling))
    for field in attrs.fields(RunLimits):
        above = getattr(requested, field.name) > getattr(ceiling, field.name)
        assert (field.name in named) is above


@given(limits)
def test_limits_within_the_ceiling_name_nothing(requested: RunLimits) -> None:
    lowered = RunLimits(
        **{
            name: min(getattr(requested, name), getattr(LEARNER_LIMIT_CEILING, name))
            for name in attrs.fields_dict(RunLimits)
        }
    )
    assert limits_above(lowered, LEARNER_LIMIT_CEILING) == ()


def test_the_defaults_are_within_the_learners_ceiling() -> None:
    assert limits_above(RunLimits(), LEARNER_LIMIT_CEILING) == ()
