"""Finding the sandboxes' cgroups: reading the host's hierarchies, and what a v2 stage group is
given (on a directory standing in for a delegated cgroup; the v1 hierarchy of this kind of host
is exercised for real in test_run_limits)."""

from __future__ import annotations

from pathlib import Path

import pytest

from handyman_runner.run_cgroups import (
    CgroupLimits,
    CgroupUnavailable,
    V1Cgroups,
    cgroup_membership,
    cgroup_mounts,
    v1_cgroups,
    v2_cgroups,
)

MOUNTINFO = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
"""


def test_mounts_are_found_per_controller_and_for_the_unified_hierarchy() -> None:
    mounts = cgroup_mounts(MOUNTINFO)
    assert mounts["cpu"] == mounts["cpuacct"] == Path("/sys/fs/cgroup/cpu,cpuacct")
    assert mounts["memory"] == Path("/sys/fs/cgroup/memory")
    assert mounts[""] == Path("/sys/fs/cgroup/unified")
    assert "tmpfs" not in mounts


def test_membership_is_read_per_controller() -> None:
    membership = cgroup_membership("4:memory:/a/b\n2:cpu,cpuacct:/\n0::/system.slice/x\n")
    assert membership == {"memory": "/a/b", "cpu": "/", "cpuacct": "/", "": "/system.slice/x"}


def delegated(tmp_path: Path, controllers: str) -> tuple[dict[str, Path], dict[str, str]]:
    service = tmp_path / "system.slice" / "handyman.service"
    service.mkdir(parents=True)
    (service / "cgroup.controllers").write_text(controllers + "\n")
    (service / "cgroup.subtree_control").write_text("")
    return {"": tmp_path}, {"": "/system.slice/handyman.service"}


def test_v2_enables_the_controllers_and_gives_a_stage_its_limits(tmp_path: Path) -> None:
    mounts, membership = delegated(tmp_path, "cpuset cpu io memory pids")
    cgroups = v2_cgroups(mounts, membership, None)
    service = tmp_path / "system.slice" / "handyman.service"
    assert (service / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    stage = cgroups.create(CgroupLimits(memory_bytes=300 << 20, processes=66, cpu_cores=1.5))
    group = stage.path  # type: ignore[attr-defined]
    assert group.parent == service
    assert (group / "memory.max").read_text() == str(300 << 20)
    assert (group / "pids.max").read_text() == "66"
    assert (group / "cpu.max").read_text() == "150000 100000"
    assert (group / "cpu.weight").read_text() == "100"


def test_v2_without_delegated_controllers_says_which_are_missing(tmp_path: Path) -> None:
    mounts, membership = delegated(tmp_path, "cpu io")
    with pytest.raises(CgroupUnavailable, match="no memory, pids controller"):
        v2_cgroups(mounts, membership, None)


def test_v1_needs_every_controller_mounted(tmp_path: Path) -> None:
    mounts = {"memory": tmp_path / "memory", "cpu": tmp_path / "cpu"}
    with pytest.raises(CgroupUnavailable, match="pids, cpuacct controllers are not mounted"):
        v1_cgroups(mounts, {"memory": "/", "cpu": "/"}, None)


def test_empty_stage_groups_left_behind_are_removed_and_others_kept(tmp_path: Path) -> None:
    base = tmp_path / "handyman-sandboxes"
    (base / "sandbox-left").mkdir(parents=True)
    (base / "sandbox-busy").mkdir()
    (base / "sandbox-busy" / "cgroup.procs").write_text("123\n")
    (base / "other").mkdir()

    V1Cgroups((("memory", base),)).remove_leftovers()

    assert sorted(path.name for path in base.iterdir()) == ["other", "sandbox-busy"]
