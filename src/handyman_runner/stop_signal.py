"""A stop request that a thread blocked in `select` notices at once: setting it writes to a
pipe the waiting thread also watches, so a stop kills the sandbox within milliseconds."""

from __future__ import annotations

import os
import threading


class StopSignal:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._read_end, self._write_end = os.pipe()
        os.set_blocking(self._write_end, False)
        self._closed = False
        self._lock = threading.Lock()

    def set(self) -> None:
        with self._lock:
            if self._event.is_set() or self._closed:
                self._event.set()
                return
            self._event.set()
            os.write(self._write_end, b"\0")

    def is_set(self) -> bool:
        return self._event.is_set()

    def fileno(self) -> int:
        """Readable once the stop was requested."""
        return self._read_end

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                os.close(self._read_end)
                os.close(self._write_end)
