"""Each stage's limits: the learner's program within the request's, a compiling stage within the
language's, every wall within the operator's maximum."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handyman_core.run_protocol import RunLimits
from handyman_runner.run_plan import Stage, StageRole
from handyman_runner.sandbox_config import DEFAULT_MAX_LIMITS
from handyman_runner.stage_limits import stage_address_space, stage_limits

BUILD = RunLimits(cpu_seconds=60.0, memory_bytes=1 << 30, processes=256)
walls = st.floats(min_value=0.5, max_value=100.0)
program_roles = st.sampled_from([StageRole.RUN, StageRole.TEST])
build_roles = st.sampled_from([StageRole.TYPE_CHECK, StageRole.BUILD, StageRole.TEST_BUILD])


@given(program_roles, walls, st.none() | walls)
def test_a_program_stage_keeps_the_request_limits_and_the_shorter_wall(
    role: StageRole, requested_wall: float, stage_wall: float | None
) -> None:
    request = RunLimits(wall_seconds=requested_wall, memory_bytes=1 << 27)
    limits = stage_limits(
        Stage(role, ("x",), (), wall_seconds=stage_wall), request, DEFAULT_MAX_LIMITS
    )
    assert limits.memory_bytes == request.memory_bytes
    assert limits.processes == request.processes
    assert limits.wall_seconds == min(requested_wall, stage_wall or requested_wall)


@given(program_roles)
def test_a_program_stage_never_gets_build_limits(role: StageRole) -> None:
    stage = Stage(role, ("x",), (), build_limits=BUILD)
    assert stage_limits(stage, RunLimits(), DEFAULT_MAX_LIMITS) == RunLimits()


@given(build_roles, walls, st.floats(min_value=0.5, max_value=1000.0))
def test_a_build_stage_gets_the_language_limits_within_the_maximum_wall(
    role: StageRole, requested_wall: float, stage_wall: float
) -> None:
    stage = Stage(role, ("cc",), (), wall_seconds=stage_wall, build_limits=BUILD)
    request = RunLimits(wall_seconds=requested_wall, output_bytes=4096)
    limits = stage_limits(stage, request, DEFAULT_MAX_LIMITS)
    assert limits.memory_bytes == BUILD.memory_bytes
    assert limits.processes == BUILD.processes
    assert limits.wall_seconds == min(stage_wall, DEFAULT_MAX_LIMITS.wall_seconds)
    assert limits.output_bytes == request.output_bytes


@given(program_roles, st.integers(min_value=1 << 20, max_value=1 << 34))
def test_a_runtime_s_address_space_does_not_raise_the_stage_s_memory(
    role: StageRole, address_space: int
) -> None:
    stage = Stage(role, ("x",), (), address_space_bytes=address_space)
    request = RunLimits(memory_bytes=256 << 20)
    limits = stage_limits(stage, request, DEFAULT_MAX_LIMITS)
    assert limits.memory_bytes == request.memory_bytes
    expected = address_space if address_space > request.memory_bytes else None
    assert stage_address_space(stage, limits) == expected
