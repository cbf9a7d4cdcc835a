"""How a test stage proves that its checks ran to the end, and not merely that it exited 0.

Course wrappers run the learner's code inline, in the same process as the checks that follow
it, and report a failure by exiting non-zero; so a solution that exits 0 early (`sys.exit(0)`,
`os._exit(0)`, an atexit hook) would pass every task if the exit status alone decided. A test
stage therefore runs under its language's `Completion`: a small harness, mounted read-only
outside the work dir, that runs the test program and, only when it returned normally, writes
back a per-stage nonce on a descriptor of its own. The runner hands the nonce in on another
descriptor that the harness reads and closes before the learner's code runs, and reads the
answer from outside the sandbox (`completion_channel`). A test stage passes only with exit
status 0 *and* the nonce.

A language plug-in declares its `Completion`: the files of its harness and how the stage's
command is wrapped around it, given the two descriptor numbers. Python's is below.
"""

from __future__ import annotations

from importlib import resources
from typing import Protocol

from attrs import frozen

HARNESS_DIR = "/handyman"
"""Where harness files are mounted, read-only, outside the work dir."""

NOT_COMPLETED_NOTE = (
    "The tests did not run to the end: the program exited before its checks finished "
    "(for example through exit(), sys.exit() or os._exit() in the solution).\n"
)


@frozen
class HarnessFile:
    name: str
    """File name under HARNESS_DIR."""
    data: bytes

    @property
    def sandbox_path(self) -> str:
        return f"{HARNESS_DIR}/{self.name}"


@frozen
class CompletionFds:
    """Descriptor numbers inside the sandbox: the nonce to read, and where to write it back."""

    nonce: int
    done: int


class Completion(Protocol):
    @property
    def files(self) -> tuple[HarnessFile, ...]: ...

    def command(self, argv: tuple[str, ...], fds: CompletionFds) -> tuple[str, ...]:
        """The stage's command (`argv`, as it would run without a harness) under the harness."""
        ...


_PYTHON_HARNESS = "python_completion_harness.py"


@frozen
class PythonCompletion:
    """`python3 task_tests` or `python3 -m unittest MODULE...` under
    `python_completion_harness`, started by the same interpreter."""

    files: tuple[HarnessFile, ...]

    @classmethod
    def load(cls) -> PythonCompletion:
        data = resources.files("handyman_runner").joinpath(_PYTHON_HARNESS).read_bytes()
        return cls((HarnessFile(_PYTHON_HARNESS, data),))

    def command(self, argv: tuple[str, ...], fds: CompletionFds) -> tuple[str, ...]:
        interpreter, *arguments = argv
        harness = self.files[0].sandbox_path
        return (interpreter, harness, str(fds.nonce), str(fds.done), *arguments)
