"""The seccomp filter every sandboxed program runs under, built with libseccomp.

Namespaces and dropped capabilities keep a program away from the host, but not away from the
processes of its own sandbox: bwrap's init (pid 1 of the namespace) runs with the program's uid,
and it holds the eventfd on which it reports the program's exit status. A program that can
`pidfd_getfd` or `ptrace` it can make a failing run report success. So the filter denies every
way to reach into another process (ptrace, pidfd_getfd, process_vm_readv/writev, kcmp,
process_madvise), the kernel interfaces a course program never needs and that widen the
kernel's attack surface (bpf, perf_event_open, userfaultfd, io_uring, which runs its operations
outside seccomp's view, the keyring, module and kexec loading, mounts and namespaces,
handle-based opens, clock and swap administration), and every foreign syscall ABI: a 32-bit
`int 0x80` or x32 call from a 64-bit program kills the program instead of slipping past a
filter written for the native numbers.

The filter is a deny list with ERRNO (the program sees EPERM, or ENOSYS where a library is
expected to fall back), so the compilers and runtimes of every course keep working. bwrap sets
no_new_privs and loads the filter just before it execs the program; bwrap's own init is not
filtered and needs no such calls anyway.

libseccomp is reached through `pyseccomp` (ctypes over the system's libseccomp2, with the API
of libseccomp's own Python bindings). Every name below must be known to that libseccomp: a
name it cannot resolve would silently stay allowed, so it is a start-up error instead.
"""

from __future__ import annotations

import errno
import tempfile

from handyman_runner.sandbox_errors import SandboxUnavailable

DENIED_WITH_EPERM = (
    # reaching into another process of the sandbox (bwrap's init above all)
    "ptrace",
    "pidfd_getfd",
    "process_vm_readv",
    "process_vm_writev",
    "process_madvise",
    "kcmp",
    # kernel interfaces that widen the attack surface and that no course program needs
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "acct",
    "swapon",
    "swapoff",
    "syslog",
    "quotactl",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "iopl",
    "ioperm",
    "vhangup",
    "lookup_dcookie",
    "uselib",
    "ustat",
    "sysfs",
    "_sysctl",
    "fanotify_init",
    # mounts, namespaces and handle-based opens (bwrap already forbids new user namespaces)
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "setns",
    "unshare",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "name_to_handle_at",
    "open_by_handle_at",
)

DENIED_WITH_ENOSYS = ("io_uring_setup", "io_uring_enter", "io_uring_register")
"""ENOSYS, as on a kernel without io_uring: runtimes that try it fall back to plain calls."""


def sandbox_seccomp_program() -> bytes:
    """The filter as the BPF program bwrap's `--seccomp FD` reads (native architecture only;
    any other ABI kills the process). Raises SandboxUnavailable without a usable libseccomp."""
    try:
        import pyseccomp as seccomp  # noqa: PLC0415 - a missing libseccomp is reported here
    except (ImportError, RuntimeError, OSError) as error:
        raise SandboxUnavailable(
            f"libseccomp is not usable ({error}): install libseccomp2 and the pyseccomp package"
        ) from None
    syscall_filter = seccomp.SyscallFilter(seccomp.ALLOW)
    syscall_filter.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL_PROCESS)
    try:
        for name in DENIED_WITH_EPERM:
            syscall_filter.add_rule(seccomp.ERRNO(errno.EPERM), name)
        for name in DENIED_WITH_ENOSYS:
            syscall_filter.add_rule(seccomp.ERRNO(errno.ENOSYS), name)
    except (OSError, ValueError) as error:
        raise SandboxUnavailable(
            f"this libseccomp cannot build the sandbox's filter ({error}); libseccomp 2.5 or "
            "newer is needed"
        ) from None
    with tempfile.TemporaryFile() as program:
        syscall_filter.export_bpf(program)
        program.seek(0)
        data = program.read()
    if not data or len(data) % 8:
        raise SandboxUnavailable("libseccomp exported an empty or malformed filter")
    return data
