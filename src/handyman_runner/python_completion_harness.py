"""Runs a Python test stage inside the sandbox and tells the runner, on a channel the learner's
code is not handed, that the checks ran to the end.

Started by the sandbox's own python3 (never imported by the service) as

    python3 /handyman/python_completion_harness.py NONCE_FD DONE_FD task_tests [ARG...]
    python3 /handyman/python_completion_harness.py NONCE_FD DONE_FD -m unittest MODULE...

It reads the run's nonce from NONCE_FD and closes it before any of the learner's code runs,
then runs the test program as `python3 task_tests` (or `python3 -m unittest MODULE...`) would,
in a fresh `__main__`. Only if the program returns normally, and did not replace the functions
the course wrappers report failures with, does it write the nonce to DONE_FD. The runner counts
a test stage as passed only when it exited with 0 *and* the nonce came back: `sys.exit(0)`,
`os._exit(0)` or an atexit hook in the solution end the process before the nonce is written.

What it cannot stop (the learner's code shares this process): code that finds the nonce in
this process's memory, or that makes the checks themselves succeed (e.g. by rewriting the
objects they compare). Closing that needs the checks in a process of their own; see
docs/sandbox.md.
"""

from __future__ import annotations

import builtins
import os
import sys
import types
from collections.abc import Callable

NONCE_BYTES_MAX = 256
FAILURE_FUNCTIONS = ("exit", "quit")
TAMPERED = (
    "\nThe checks cannot tell whether they passed: the solution replaced {name}, which the "
    "tests use to report a failure.\n"
)


def main(argv: list[str]) -> int:
    nonce = _take_nonce(int(argv[1]))
    done_fd = int(argv[2])
    os.set_inheritable(done_fd, False)
    command = argv[3:]
    originals = _failure_functions()
    if command[:2] == ["-m", "unittest"]:
        passed = _run_unittest(command[2:])
    else:
        passed = _run_script(command[0], command[1:])
    tampered = _replaced_failure_function(originals)
    if tampered is not None:
        sys.stderr.write(TAMPERED.format(name=tampered))
        passed = False
    if passed:
        os.write(done_fd, nonce)
    os.close(done_fd)
    return 0 if passed else 1


def _take_nonce(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, NONCE_BYTES_MAX)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def _run_script(path: str, arguments: list[str]) -> bool:
    """As `python3 path`: a SystemExit passes through unchanged, any other exception is printed
    as the interpreter prints it (without this harness's frame) and is exit status 1."""
    sys.argv = [path, *arguments]
    path = os.path.abspath(path)
    sys.path[0] = os.path.dirname(path)
    main_module = types.ModuleType("__main__")
    main_module.__dict__.update(__file__=path, __builtins__=builtins, __cached__=None)
    sys.modules["__main__"] = main_module
    try:
        with open(path, "rb") as source_file:
            source = source_file.read()
        code = compile(source, path, "exec", dont_inherit=True)
        exec(code, main_module.__dict__)
    except SystemExit:
        raise
    except BaseException as error:
        traceback = error.__traceback__.tb_next if error.__traceback__ else None
        sys.excepthook(type(error), error.with_traceback(traceback), traceback)
        return False
    return True


def _run_unittest(modules: list[str]) -> bool:
    """As `python3 -m unittest MODULE...`, and only if at least one test ran and all passed."""
    import unittest  # noqa: PLC0415 - imported before the work dir is on the path

    sys.argv = ["python3 -m unittest", *modules]
    sys.path[0] = os.getcwd()
    program = unittest.main(module=None, argv=sys.argv, exit=False)
    return program.result.wasSuccessful() and program.result.testsRun > 0


def _failure_functions() -> dict[str, Callable[..., object] | None]:
    found: dict[str, Callable[..., object] | None] = {
        f"builtins.{name}": getattr(builtins, name, None) for name in FAILURE_FUNCTIONS
    }
    found["sys.exit"] = sys.exit
    return found


def _replaced_failure_function(
    originals: dict[str, Callable[..., object] | None],
) -> str | None:
    """A failure function the solution rebound to something callable: a wrapper's `exit(1)`
    would then fall through to the end. A name rebound to a non-callable (`quit = False`) is
    harmless, as the checks would then fail loudly."""
    for name, original in _failure_functions().items():
        if original is not None and name in originals and original is not originals[name]:
            return name
    main_globals = vars(sys.modules.get("__main__", types.ModuleType("__main__")))
    for name in FAILURE_FUNCTIONS:
        value = main_globals.get(name)
        if callable(value) and value is not originals.get(f"builtins.{name}"):
            return name
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv))
