"""Why the local sandbox cannot give a verdict. Both are `RunnerUnavailable`: the request may be
fine, this host just cannot run it (the HTTP layer answers 503)."""

from __future__ import annotations

from handyman_core.errors import RunnerUnavailable
from handyman_core.run_protocol import Language

INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`)"


class SandboxUnavailable(RunnerUnavailable):
    """bubblewrap is missing or cannot build a sandbox here; the runner never runs code without
    one, so it refuses to start."""


class LanguageUnavailable(RunnerUnavailable):
    """The request is for a language whose toolchain this host does not offer inside the sandbox."""

    def __init__(self, language: Language) -> None:
        super().__init__(f"language not available on this runner: {language.value}")
        self.language = language
