"""The host-wide slots that bound how many sandboxes run at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from handyman_runner.host_slots import HostSlots
from handyman_runner.sandbox_errors import SandboxUnavailable


def test_each_slot_is_handed_out_once(tmp_path: Path) -> None:
    slots = HostSlots(tmp_path / "slots", 2)
    first, second = slots.acquire(0), slots.acquire(0)
    assert first is not None and second is not None
    assert {first.index, second.index} == {0, 1}
    assert slots.acquire(0) is None


def test_slots_are_shared_by_every_holder_of_the_directory(tmp_path: Path) -> None:
    held = HostSlots(tmp_path, 1).acquire(0)
    assert held is not None
    assert HostSlots(tmp_path, 1).acquire(0) is None


def test_a_released_slot_can_be_taken_again(tmp_path: Path) -> None:
    slots = HostSlots(tmp_path, 1)
    held = slots.acquire(0)
    assert held is not None
    held.release()
    assert slots.acquire(0) is not None


def test_waiting_for_a_slot_gives_up_after_the_timeout(tmp_path: Path) -> None:
    slots = HostSlots(tmp_path, 1)
    assert slots.acquire(0) is not None
    started = time.monotonic()
    assert slots.acquire(0.2) is None
    assert 0.2 <= time.monotonic() - started < 1.0


def test_a_directory_others_can_write_to_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(SandboxUnavailable, match="no one else can write"):
        HostSlots(shared, 1)
