"""Read-only artefacts a language builds once and every run then sees (C++ modules, a warm Go
build cache): where they live on the host, how they are built, how processes share them.

Each recipe's artefacts live in `<directory>/<name>-<key>`, the key a digest of everything the
build depends on (the recipe, its inputs, the toolchain's identity), so a new toolchain or a
changed recipe gets a new directory and never a half-stale one. The build runs inside the
sandbox, as any stage does but with its staging directory writable at the recipe's mount
point, and appears under its final name only once it succeeded (an atomic rename). Processes
that share the directory (gunicorn workers, several services) take a lock per recipe, so one
builds and the others find the result. Older directories of the same recipe are removed after
a successful build; sandboxes still running keep theirs mounted.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from attrs import frozen

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Language
from handyman_runner.languages.plugin import ArtefactRecipe

log = logging.getLogger("handyman.runner.artefacts")

FORMAT = "1"
"""Bumped when the layout or the build procedure itself changes."""
ARTEFACTS_VARIABLE = "HANDYMAN_SANDBOX_ARTEFACTS"


@frozen
class BuildOutcome:
    succeeded: bool
    output: str
    """What the build printed, for the log and for `handyman runner prepare`."""


Builder = Callable[[ArtefactRecipe, Path], BuildOutcome]
"""Runs a recipe's commands with the given staging directory writable at its mount point."""


class ArtefactBuildFailed(Exception):
    def __init__(self, recipe: ArtefactRecipe, output: str) -> None:
        super().__init__(f"building {recipe.name} failed:\n{output[-4000:]}")
        self.recipe = recipe
        self.output = output


def default_directory() -> Path:
    """A root service keeps them in /var/cache (bwrap runs as the sandbox's host uid, which
    must reach them); any other user in its own cache directory."""
    configured = os.environ.get(ARTEFACTS_VARIABLE)
    if configured:
        return Path(configured)
    if os.geteuid() == 0:
        return Path("/var/cache/handyman/sandbox-artefacts")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(cache) / "handyman" / "sandbox-artefacts"


def recipe_key(recipe: ArtefactRecipe) -> str:
    digest = hashlib.sha256()
    for part in (FORMAT, recipe.name, recipe.mount_point, recipe.identity):
        digest.update(part.encode() + b"\0")
    for command in recipe.commands:
        digest.update("\0".join(command).encode() + b"\1")
    for file in recipe.inputs:
        digest.update(file.path.encode() + b"\0" + hashlib.sha256(file.data).digest())
    return digest.hexdigest()[:16]


class ArtefactStore:
    def __init__(self, directory: Path, builder_ids: tuple[int, int] | None) -> None:
        """`builder_ids`: the host uid and gid the sandbox runs as when they differ from this
        process's (a root service), who must be able to write the staging directory."""
        self._directory = directory
        self._builder_ids = builder_ids

    @property
    def directory(self) -> Path:
        return self._directory

    def path_of(self, recipe: ArtefactRecipe) -> Path:
        return self._directory / f"{recipe.name}-{recipe_key(recipe)}"

    def ready(self, recipe: ArtefactRecipe) -> Path | None:
        path = self.path_of(recipe)
        return path if path.is_dir() else None

    def ensure(self, recipe: ArtefactRecipe, build: Builder) -> Path:
        """The recipe's artefacts, built first if no process has built them yet. Raises
        ArtefactBuildFailed."""
        found = self.ready(recipe)
        if found is not None:
            return found
        self._make_directory()
        with self._lock(recipe.name):
            found = self.ready(recipe)
            if found is not None:
                return found
            return self._build(recipe, build)

    def _build(self, recipe: ArtefactRecipe, build: Builder) -> Path:
        final = self.path_of(recipe)
        staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=self._directory))
        try:
            os.chmod(staging, 0o755)
            if self._builder_ids is not None:
                os.chown(staging, *self._builder_ids)
            log.info("building %s in %s", recipe.name, staging)
            outcome = build(recipe, staging)
            if not outcome.succeeded:
                raise ArtefactBuildFailed(recipe, outcome.output)
            _own_and_seal(staging)
            os.rename(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._remove_older(recipe, final)
        log.info("built %s: %s", recipe.name, final)
        return final

    def _remove_older(self, recipe: ArtefactRecipe, kept: Path) -> None:
        for path in self._directory.glob(f"{recipe.name}-*"):
            if path != kept and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)

    def _make_directory(self) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(PermissionError):
            os.chmod(self._directory, 0o755)

    @contextlib.contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        fd = os.open(
            self._directory / f".{name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
        )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _own_and_seal(root: Path) -> None:
    """Hands what the sandbox wrote back to this process's user and takes write permission
    away, so nothing run later as the sandbox's host uid could change it even outside a
    read-only mount."""
    uid, gid = os.geteuid(), os.getegid()
    for directory, subdirectories, files in os.walk(root):
        for name in [*subdirectories, *files]:
            path = os.path.join(directory, name)
            os.chown(path, uid, gid, follow_symlinks=False)
            if not os.path.islink(path):
                mode = os.stat(path).st_mode
                os.chmod(path, (mode | 0o444) & ~0o222)
        os.chown(directory, uid, gid)
        os.chmod(directory, 0o755)


class ArtefactPreparation:
    """Each available language's artefacts, prepared once per process (in the background at
    start-up, or on demand) and waited for by the runs that need them."""

    def __init__(
        self,
        store: ArtefactStore,
        recipes: Mapping[Language, ArtefactRecipe],
        build: Builder,
        retry_after_seconds: int,
    ) -> None:
        self._store = store
        self._recipes = dict(recipes)
        self._build = build
        self._retry_after = retry_after_seconds
        self._lock = threading.Lock()
        self._done = {language: threading.Event() for language in self._recipes}
        self._paths: dict[Language, Path] = {}
        self._failures: dict[Language, str] = {}
        for language, recipe in self._recipes.items():
            ready = store.ready(recipe)
            if ready is not None:
                self._paths[language] = ready
                self._done[language].set()

    @property
    def pending(self) -> bool:
        return not all(event.is_set() for event in self._done.values())

    def start_in_background(self) -> None:
        if self.pending:
            threading.Thread(target=self.prepare, name="sandbox-artefacts", daemon=True).start()

    def prepare(self) -> dict[Language, str | None]:
        """Builds every missing artefact; per language, None or why it failed."""
        outcome: dict[Language, str | None] = {}
        for language, recipe in self._recipes.items():
            with self._lock:
                if language in self._paths or language in self._failures:
                    outcome[language] = self._failures.get(language)
                    continue
                try:
                    self._paths[language] = self._store.ensure(recipe, self._build)
                    outcome[language] = None
                except ArtefactBuildFailed as error:
                    log.error("%s", error)
                    self._failures[language] = error.output
                    outcome[language] = error.output
                except OSError as error:
                    log.error("cannot prepare %s: %s", recipe.name, error)
                    self._failures[language] = str(error)
                    outcome[language] = str(error)
                finally:
                    self._done[language].set()
        return outcome

    def required(self, language: Language) -> bool:
        recipe = self._recipes.get(language)
        return recipe is not None and recipe.required

    def status(self, language: Language) -> str:
        """`ready`, `not needed`, `preparing` or `failed`, for reports."""
        if language not in self._recipes:
            return "not needed"
        if language in self._failures:
            return "failed"
        return "ready" if language in self._paths else "preparing"

    def ready(self, language: Language) -> bool:
        """Whether `path_for` answers without waiting: the language has no artefacts, only
        optional ones, or its required ones are settled (built, or failed)."""
        event = self._done.get(language)
        return event is None or not self._recipes[language].required or event.is_set()

    def path_for(self, language: Language, wait_seconds: float) -> str | None:
        """Where the language's artefacts are (None: it has none, or they are a speed-up not
        built yet), waiting at most `wait_seconds` for required ones. Raises
        RunnerUnavailable while required ones are being built or when they could not be."""
        event = self._done.get(language)
        if event is None:
            return None
        if not self._recipes[language].required:
            return str(self._paths[language]) if language in self._paths else None
        event.wait(wait_seconds)
        if language in self._paths:
            return str(self._paths[language])
        if language in self._failures:
            raise RunnerUnavailable(
                f"{language.value} cannot run on this runner: building its toolchain's "
                "artefacts failed (see the service log)"
            )
        raise RunnerUnavailable(
            f"the {language.value} toolchain is being prepared on this runner",
            retry_after=self._retry_after,
        )
