"""The sandbox's command line: what it shares with the host and what it never does."""

from __future__ import annotations

from handyman_core.run_protocol import RunLimits
from handyman_runner.bwrap_command import (
    ENVIRONMENT,
    Bind,
    HostLayout,
    Mounts,
    StageFds,
    StageView,
    bwrap_argv,
)

LAYOUT = HostLayout(
    symlinks=(("/bin", "usr/bin"), ("/lib", "usr/lib")),
    directories=("/usr",),
    etc_files=("/etc/ld.so.cache",),
    prlimit="/usr/bin/prlimit",
)


def argv(work: tuple[tuple[str, int], ...] = ()) -> list[str]:
    return bwrap_argv(
        bwrap="/usr/bin/bwrap",
        layout=LAYOUT,
        mounts=Mounts(work_dir_bytes=1 << 20, scratch_bytes=1 << 19),
        limits=RunLimits(cpu_seconds=2.5, memory_bytes=1 << 28, processes=16),
        fds=StageFds(status=3, seccomp=5, etc=(("/etc/passwd", 4),), work=work),
        command=["/usr/bin/python3", "task"],
    )


def _options(arguments: list[str], option: str, count: int) -> list[tuple[str, ...]]:
    return [
        tuple(arguments[index + 1 : index + 1 + count])
        for index, argument in enumerate(arguments)
        if argument == option
    ]


def test_only_system_trees_and_single_etc_files_come_from_the_host() -> None:
    binds = _options(argv(), "--ro-bind", 2) + _options(argv(), "--bind", 2)
    assert {source for source, _ in binds} == {"/usr", "/etc/ld.so.cache"}


def test_the_sandbox_is_isolated_before_anything_runs() -> None:
    arguments = argv()
    command_at = arguments.index("--")
    for flag in ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent"):
        assert flag in arguments[:command_at]
    assert ("ALL",) in _options(arguments, "--cap-drop", 1)
    assert ("/",) in _options(arguments, "--remount-ro", 1)
    assert _options(arguments, "--uid", 1) == [("65534",)]


def test_the_environment_is_cleared_and_fixed() -> None:
    arguments = argv()
    assert "--clearenv" in arguments
    assert _options(arguments, "--setenv", 2) == [tuple(pair) for pair in ENVIRONMENT]


def test_every_writable_mount_is_size_capped() -> None:
    arguments = argv()
    sized = [
        arguments[index + 3]
        for index in range(len(arguments) - 3)
        if arguments[index] == "--size" and arguments[index + 2] == "--tmpfs"
    ]
    tmpfs = [target for (target,) in _options(arguments, "--tmpfs", 1)]
    assert sorted(sized) == sorted(tmpfs) == ["/dev/shm", "/tmp", "/work"]


def test_rlimits_are_set_just_before_the_command() -> None:
    tail = argv()[argv().index("/usr/bin/prlimit") :]
    assert tail == [
        "/usr/bin/prlimit",
        "--cpu=3:4",
        f"--as={1 << 28}",
        "--nproc=16",
        f"--fsize={RunLimits().file_size_bytes}",
        f"--nofile={RunLimits().open_files}",
        "--core=0",
        "--",
        "/usr/bin/python3",
        "task",
    ]


def test_nested_work_files_get_their_directories_first() -> None:
    arguments = argv(work=(("pkg/sub/mod.py", 5), ("main.py", 6)))
    dirs = [target for (target,) in _options(arguments, "--dir", 1)]
    files = _options(arguments, "--file", 2)
    assert dirs[-2:] == ["/work/pkg", "/work/pkg/sub"]
    assert files == [("5", "/work/pkg/sub/mod.py"), ("6", "/work/main.py")]
    assert arguments.index("/work/pkg/sub") < arguments.index("/work/pkg/sub/mod.py")


def test_a_language_view_adds_its_binds_and_environment() -> None:
    view = StageView(
        binds=(Bind("/opt/tools/go", "/opt/tools/go"), Bind("/var/cache/x", "/usr/local/lib")),
        environment=(("GOCACHE", "/tmp/go"), ("HOME", "/tmp/home")),
    )
    arguments = bwrap_argv(
        bwrap="/usr/bin/bwrap",
        layout=LAYOUT,
        mounts=Mounts(work_dir_bytes=1 << 20, scratch_bytes=1 << 19),
        limits=RunLimits(),
        fds=StageFds(status=3, seccomp=9, etc=(), work=()),
        command=["go", "run", "."],
        view=view,
    )
    binds = _options(arguments, "--ro-bind", 2)
    assert ("/opt/tools/go", "/opt/tools/go") in binds
    assert ("/var/cache/x", "/usr/local/lib") in binds
    assert arguments.index("/usr/local/lib") > arguments.index("/usr")
    assert _options(arguments, "--bind", 2) == []
    environment = dict(_options(arguments, "--setenv", 2))
    assert environment["GOCACHE"] == "/tmp/go"
    assert environment["HOME"] == "/tmp/home"
    assert [name for name, _ in _options(arguments, "--setenv", 2)].count("HOME") == 1


def test_only_an_artefact_build_binds_a_host_directory_writable() -> None:
    view = StageView(binds=(Bind("/var/cache/x", "/artefacts", writable=True),))
    arguments = bwrap_argv(
        bwrap="/usr/bin/bwrap",
        layout=LAYOUT,
        mounts=Mounts(work_dir_bytes=1 << 20, scratch_bytes=1 << 19),
        limits=RunLimits(),
        fds=StageFds(status=3, seccomp=9, etc=(), work=()),
        command=["true"],
        view=view,
    )
    assert _options(arguments, "--bind", 2) == [("/var/cache/x", "/artefacts")]


def test_carried_programs_are_executable_and_sources_are_not() -> None:
    arguments = bwrap_argv(
        bwrap="/usr/bin/bwrap",
        layout=LAYOUT,
        mounts=Mounts(work_dir_bytes=1 << 20, scratch_bytes=1 << 19),
        limits=RunLimits(),
        fds=StageFds(
            status=3,
            seccomp=9,
            etc=(),
            work=(("main.go", 5), ("build/main", 6)),
            executables=frozenset({"build/main"}),
        ),
        command=["build/main"],
    )
    perms = {
        arguments[index + 4]: arguments[index + 1]
        for index in range(len(arguments) - 4)
        if arguments[index] == "--perms" and arguments[index + 2] == "--file"
    }
    assert perms == {"/work/main.go": "0644", "/work/build/main": "0755"}
