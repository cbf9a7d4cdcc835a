"""The limits of one stage of a run.

A learner's program (and the test wrapper around it) runs under the request's limits, for at
most the stage's own wall time when the language sets one (the original's per-stage
`timeout`). A compiling stage (type check, build) runs the toolchain, not the learner's code:
it gets the language's build limits (more address space and processes than a program needs)
and its own wall time. Every wall stays within the operator's maximum, so every stage, and so
the whole run, is bounded.
"""

from __future__ import annotations

from attrs import evolve

from handyman_core.run_protocol import RunLimits
from handyman_runner.run_plan import Stage


def stage_limits(stage: Stage, request: RunLimits, maximum: RunLimits) -> RunLimits:
    """`request` is the run's effective limits (already clamped to `maximum`)."""
    if stage.role.compiles and stage.build_limits is not None:
        wall = stage.wall_seconds if stage.wall_seconds is not None else request.wall_seconds
        return evolve(
            stage.build_limits,
            wall_seconds=min(wall, maximum.wall_seconds),
            output_bytes=request.output_bytes,
        )
    if stage.wall_seconds is None:
        return request
    return evolve(request, wall_seconds=min(stage.wall_seconds, request.wall_seconds))


def stage_address_space(stage: Stage, limits: RunLimits) -> int | None:
    """The stage's RLIMIT_AS when it needs more address space than its memory limit (`limits`
    from `stage_limits`); None: the memory limit is the address space too."""
    if stage.role.compiles or stage.address_space_bytes is None:
        return None
    if stage.address_space_bytes <= limits.memory_bytes:
        return None
    return stage.address_space_bytes
