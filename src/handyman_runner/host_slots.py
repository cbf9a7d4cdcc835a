"""A host-wide limit on sandboxes running at once.

gunicorn runs several worker processes, each with its own runner, so an in-process semaphore
would allow workers x slots sandboxes. The slots are instead `flock`s on N files in one
directory: shared by every process that uses the directory, released by the kernel when a
holder dies, and never inherited by the sandboxes (the descriptors are close-on-exec).
"""

from __future__ import annotations

import fcntl
import os
import stat
import time
from pathlib import Path

from handyman_runner.sandbox_errors import SandboxUnavailable

POLL_SECONDS = 0.02


class HeldSlot:
    def __init__(self, index: int, fd: int) -> None:
        self.index = index
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class HostSlots:
    def __init__(self, directory: Path, count: int) -> None:
        self._directory = directory
        self._count = count
        _prepare_private_directory(directory)

    @property
    def count(self) -> int:
        return self._count

    def acquire(self, timeout: float) -> HeldSlot | None:
        """A free slot, waiting at most `timeout` seconds; None when all stayed busy."""
        give_up_at = time.monotonic() + timeout
        while True:
            slot = self._try_each()
            if slot is not None:
                return slot
            remaining = give_up_at - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(POLL_SECONDS, remaining))

    def _try_each(self) -> HeldSlot | None:
        for index in range(self._count):
            path = self._directory / f"slot-{index}.lock"
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return HeldSlot(index, fd)
        return None


def _prepare_private_directory(directory: Path) -> None:
    """Refuses a directory someone else could fill with locks they hold (a denial of service)."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.lstat()
    except OSError as error:
        raise SandboxUnavailable(f"cannot create the sandbox slot directory: {error}") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise SandboxUnavailable(
            f"the sandbox slot directory {directory} must be a directory owned by uid "
            f"{os.geteuid()} that no one else can write to"
        )
