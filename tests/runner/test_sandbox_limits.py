"""A request's limits are clamped between the floor and the operator's maxima."""

from __future__ import annotations

from attrs import asdict
from hypothesis import given
from hypothesis import strategies as st

from handyman_core.run_protocol import RunLimits
from handyman_runner.sandbox_config import (
    DEFAULT_MAX_LIMITS,
    LIMIT_FLOOR,
    SandboxConfig,
    clamp_limits,
    effective_limits,
)

limits = st.builds(
    RunLimits,
    cpu_seconds=st.floats(allow_nan=True, allow_infinity=True),
    wall_seconds=st.floats(allow_nan=True, allow_infinity=True),
    memory_bytes=st.integers(),
    processes=st.integers(),
    output_bytes=st.integers(),
    file_size_bytes=st.integers(),
    open_files=st.integers(),
)


@given(limits)
def test_every_clamped_limit_lies_between_the_floor_and_the_maximum(requested: RunLimits) -> None:
    clamped = asdict(clamp_limits(requested, LIMIT_FLOOR, DEFAULT_MAX_LIMITS))
    for name, value in clamped.items():
        assert asdict(LIMIT_FLOOR)[name] <= value <= asdict(DEFAULT_MAX_LIMITS)[name]


@given(limits)
def test_a_limit_already_within_bounds_is_kept(requested: RunLimits) -> None:
    clamped = asdict(clamp_limits(requested, LIMIT_FLOOR, DEFAULT_MAX_LIMITS))
    for name, value in asdict(requested).items():
        if asdict(LIMIT_FLOOR)[name] <= value <= asdict(DEFAULT_MAX_LIMITS)[name]:
            assert clamped[name] == value


def test_a_request_with_the_protocol_defaults_gets_the_configured_defaults() -> None:
    configured = RunLimits(wall_seconds=3.0, output_bytes=4096)
    config = SandboxConfig(default_limits=configured)
    assert effective_limits(RunLimits(), config) == configured


def test_a_request_with_its_own_limits_keeps_them() -> None:
    config = SandboxConfig(default_limits=RunLimits(wall_seconds=3.0))
    assert effective_limits(RunLimits(wall_seconds=7.0), config).wall_seconds == 7.0
