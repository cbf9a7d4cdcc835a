"""Read-only artefacts are built once per recipe, by one process of the host, and appear only
when complete; a failed build leaves nothing behind."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from attrs import evolve

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Language, RunLimits
from handyman_runner.languages.artefacts import (
    ArtefactBuildFailed,
    ArtefactPreparation,
    ArtefactStore,
    BuildOutcome,
    recipe_key,
)
from handyman_runner.languages.plugin import ArtefactRecipe
from handyman_runner.run_plan import SandboxFile

RECIPE = ArtefactRecipe(
    language=Language.CPP,
    name="cpp-modules",
    mount_point="/usr/local/lib",
    identity="clang 22 /usr/lib/llvm-22/bin/clang++",
    inputs=(SandboxFile("module.cppm", b"export module m;\n"),),
    commands=(("clang++", "--precompile", "module.cppm"),),
    limits=RunLimits(),
    wall_seconds=60.0,
)


class Builder:
    """Writes one file into the staging directory, as a sandboxed build would."""

    def __init__(self, succeed: bool = True, delay: float = 0.0) -> None:
        self.calls = 0
        self.succeed = succeed
        self.delay = threading.Event()
        self._wait = delay

    def __call__(self, recipe: ArtefactRecipe, staging: Path) -> BuildOutcome:
        self.calls += 1
        self.delay.wait(self._wait)
        (staging / "m.pcm").write_text("built")
        return BuildOutcome(self.succeed, "" if self.succeed else "error: no module\n")


def test_a_recipe_is_built_once(tmp_path: Path) -> None:
    store = ArtefactStore(tmp_path, None)
    builder = Builder()
    first = store.ensure(RECIPE, builder)
    second = store.ensure(RECIPE, builder)
    assert first == second == store.ready(RECIPE)
    assert (first / "m.pcm").read_text() == "built"
    assert builder.calls == 1


def test_builds_that_race_build_once(tmp_path: Path) -> None:
    builder = Builder(delay=0.2)
    paths: list[Path] = []

    def ensure() -> None:
        paths.append(ArtefactStore(tmp_path, None).ensure(RECIPE, builder))

    threads = [threading.Thread(target=ensure) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builder.calls == 1
    assert len(set(paths)) == 1


def test_a_failed_build_leaves_nothing_and_is_tried_again(tmp_path: Path) -> None:
    store = ArtefactStore(tmp_path, None)
    with pytest.raises(ArtefactBuildFailed, match="no module"):
        store.ensure(RECIPE, Builder(succeed=False))
    assert store.ready(RECIPE) is None
    assert not [path for path in tmp_path.iterdir() if path.is_dir()]
    assert store.ensure(RECIPE, Builder()).is_dir()


def test_built_artefacts_cannot_be_written(tmp_path: Path) -> None:
    path = ArtefactStore(tmp_path, None).ensure(RECIPE, Builder())
    assert not os.stat(path / "m.pcm").st_mode & 0o222


def test_a_changed_recipe_gets_a_new_directory_and_the_old_one_goes(tmp_path: Path) -> None:
    store = ArtefactStore(tmp_path, None)
    old = store.ensure(RECIPE, Builder())
    changed = evolve(RECIPE, identity="clang 23 /usr/lib/llvm-23/bin/clang++")
    assert recipe_key(changed) != recipe_key(RECIPE)
    new = store.ensure(changed, Builder())
    assert new != old
    assert new.is_dir() and not old.exists()


def test_a_run_waits_for_artefacts_being_prepared_then_is_told_to_retry(tmp_path: Path) -> None:
    builder = Builder(delay=5.0)
    preparation = ArtefactPreparation(
        ArtefactStore(tmp_path, None), {Language.CPP: RECIPE}, builder, retry_after_seconds=3
    )
    preparation.start_in_background()
    with pytest.raises(RunnerUnavailable) as raised:
        preparation.path_for(Language.CPP, wait_seconds=0.1)
    assert raised.value.retry_after == 3
    builder.delay.set()
    assert preparation.path_for(Language.CPP, wait_seconds=10.0) is not None
    assert preparation.path_for(Language.PYTHON, wait_seconds=0.0) is None


def test_a_language_whose_artefacts_failed_is_unavailable(tmp_path: Path) -> None:
    preparation = ArtefactPreparation(
        ArtefactStore(tmp_path, None), {Language.CPP: RECIPE}, Builder(succeed=False), 3
    )
    assert preparation.prepare() == {Language.CPP: "error: no module\n"}
    assert preparation.status(Language.CPP) == "failed"
    with pytest.raises(RunnerUnavailable, match="cpp cannot run on this runner"):
        preparation.path_for(Language.CPP, wait_seconds=0.0)
