"""Every language the sandbox knows, and what this host can run of them.

`PLUGINS` is the one list: `handyman runner languages`, /health and the local runner all read
it. A language whose toolchain is missing or too old is still listed, with the reason, and a
request for it is `LanguageUnavailable` (for that language only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from handyman_core.errors import InvalidInput
from handyman_core.run_protocol import Language, RunRequest
from handyman_runner.languages.bash import BashPlugin
from handyman_runner.languages.cpp import CppPlugin
from handyman_runner.languages.golang import GoPlugin
from handyman_runner.languages.haskell import HaskellPlugin
from handyman_runner.languages.plugin import (
    ArtefactRecipe,
    Discovery,
    HostProbe,
    LanguagePlugin,
    PlanContext,
    Toolchain,
)
from handyman_runner.languages.python import PythonPlugin
from handyman_runner.languages.rust import RustPlugin
from handyman_runner.run_plan import RunPlan
from handyman_runner.sandbox_errors import LanguageUnavailable

PLUGINS: tuple[LanguagePlugin, ...] = (
    PythonPlugin(),
    GoPlugin(),
    RustPlugin(),
    CppPlugin(),
    HaskellPlugin(),
    BashPlugin(),
)


def plugin_for(language: Language) -> LanguagePlugin:
    for plugin in PLUGINS:
        if plugin.language is language:
            return plugin
    raise LanguageUnavailable(language)


class LanguageTable:
    """What discovery found on this host, per language; plans requests for the available ones."""

    def __init__(self, discoveries: Iterable[Discovery]) -> None:
        self._discoveries = {discovery.language: discovery for discovery in discoveries}

    @classmethod
    def discover(cls, host: HostProbe) -> LanguageTable:
        return cls(plugin.discover(host) for plugin in PLUGINS)

    @classmethod
    def of(cls, toolchains: Iterable[Toolchain]) -> LanguageTable:
        """A table of given toolchains (every other language unavailable)."""
        return cls(
            Discovery(toolchain.language, toolchain, toolchain.version) for toolchain in toolchains
        )

    @property
    def discoveries(self) -> tuple[Discovery, ...]:
        """In `PLUGINS` order, unavailable languages included."""
        return tuple(
            self._discoveries.get(plugin.language, Discovery(plugin.language, None, "not probed"))
            for plugin in PLUGINS
        )

    @property
    def toolchains(self) -> Mapping[Language, Toolchain]:
        return {
            language: discovery.toolchain
            for language, discovery in self._discoveries.items()
            if discovery.toolchain is not None
        }

    def toolchain(self, language: Language) -> Toolchain:
        discovery = self._discoveries.get(language)
        if discovery is None or discovery.toolchain is None:
            raise LanguageUnavailable(language)
        return discovery.toolchain

    def artefact_recipes(self) -> dict[Language, ArtefactRecipe]:
        """The read-only artefacts each available language wants built."""
        recipes = {}
        for language, toolchain in self.toolchains.items():
            recipe = plugin_for(language).artefacts(toolchain)
            if recipe is not None:
                recipes[language] = recipe
        return recipes

    def plan(self, request: RunRequest, artefacts: str | None, max_total_bytes: int) -> RunPlan:
        """Raises InvalidInput for a request no sandbox could run, LanguageUnavailable for one
        this host cannot."""
        toolchain = self.toolchain(request.language)
        plan = plugin_for(request.language).plan(request, PlanContext(toolchain, artefacts))
        if plan.largest_work_dir > max_total_bytes:
            raise InvalidInput.field("files", "the files are larger than the sandbox's work dir")
        return plan
