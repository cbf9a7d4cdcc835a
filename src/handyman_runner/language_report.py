"""What this host can run, for `handyman runner languages`: each language's toolchain (or why
there is none) and whether its artefacts are built, found without starting a sandbox."""

from __future__ import annotations

from attrs import frozen

from handyman_runner.languages.artefacts import ArtefactStore
from handyman_runner.languages.plugin import Discovery, HostProbe
from handyman_runner.languages.registry import LanguageTable
from handyman_runner.sandbox_config import SandboxConfig

NO_ARTEFACTS = "none needed"
ARTEFACTS_READY = "ready"
ARTEFACTS_MISSING = "not built yet (handyman runner prepare)"


@frozen
class LanguageStatus:
    discovery: Discovery
    artefacts: str

    def as_json(self) -> dict[str, object]:
        return {
            "language": self.discovery.language.value,
            "available": self.discovery.available,
            "detail": self.discovery.detail,
            "notes": list(self.discovery.notes),
            "artefacts": self.artefacts,
        }


def host_languages(config: SandboxConfig) -> tuple[LanguageStatus, ...]:
    table = LanguageTable.discover(HostProbe(config.toolchain_directory))
    store = ArtefactStore(config.artefact_directory, None)
    recipes = table.artefact_recipes()
    statuses = []
    for discovery in table.discoveries:
        recipe = recipes.get(discovery.language)
        if recipe is None:
            artefacts = NO_ARTEFACTS
        else:
            artefacts = ARTEFACTS_READY if store.ready(recipe) else ARTEFACTS_MISSING
        statuses.append(LanguageStatus(discovery, artefacts))
    return tuple(statuses)
