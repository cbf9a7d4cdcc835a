"""bash, for tracked runs of shell scripts (`POST /api/v1/runs`). No course uses it; tasks and
projects run as for any interpreter, and there is no practice test runner for it."""

from __future__ import annotations

from handyman_core.run_protocol import Language, RunKind, RunRequest
from handyman_runner.languages.interpreted import main_file_plan, script_plan, task_plan
from handyman_runner.languages.plugin import (
    ArtefactRecipe,
    Discovery,
    HostProbe,
    PlanContext,
    Toolchain,
)
from handyman_runner.run_plan import RunPlan
from handyman_runner.sandbox_errors import LanguageUnavailable


class BashPlugin:
    language = Language.BASH

    def discover(self, host: HostProbe) -> Discovery:
        found = host.find(["bash"])
        if not found:
            return Discovery(self.language, None, "bash is not installed under /usr")
        printed = host.output([found[0], "-c", "echo $BASH_VERSION"]) or ""
        version = f"bash {printed.strip()}".strip()
        return Discovery(
            self.language, Toolchain(self.language, version, (("bash", found[0]),)), version
        )

    def artefacts(self, toolchain: Toolchain) -> ArtefactRecipe | None:
        return None

    def plan(self, request: RunRequest, context: PlanContext) -> RunPlan:
        shell = context.toolchain.program("bash")
        if request.kind is RunKind.TASK:
            return task_plan(request, context.toolchain, shell, None)
        if request.kind is RunKind.SCRIPT:
            return script_plan(request, shell)
        if request.kind in (RunKind.PLAYGROUND, RunKind.PRACTICE_RUN):
            return main_file_plan(request, shell, None)
        raise LanguageUnavailable(request.language)
