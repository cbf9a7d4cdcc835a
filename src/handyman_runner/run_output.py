"""Everything a run prints, per destination, capped in total.

The thread that reads the sandbox's pipe appends; callers of `output_so_far` read at any time.
Bytes are kept as they came and decoded only when read, so a multi-byte character split
between two reads is not mangled (a character cut by the cap becomes U+FFFD).
"""

from __future__ import annotations

import enum
import threading


class Channel(enum.Enum):
    USER_CODE = "user_code_output"
    TESTS = "tests_output"


class RunOutput:
    def __init__(self, cap_bytes: int) -> None:
        self._cap = cap_bytes
        self._lock = threading.Lock()
        self._buffers = {channel: bytearray() for channel in Channel}
        self._truncated = False

    def append(self, channel: Channel, data: bytes) -> bool:
        """Keeps what fits under the cap; False once something had to be dropped."""
        with self._lock:
            room = self._cap - sum(len(buffer) for buffer in self._buffers.values())
            if len(data) <= room:
                self._buffers[channel] += data
                return True
            self._buffers[channel] += data[: max(room, 0)]
            self._truncated = True
            return False

    @property
    def truncated(self) -> bool:
        with self._lock:
            return self._truncated

    def text(self, channel: Channel) -> str:
        with self._lock:
            return self._buffers[channel].decode("utf-8", errors="replace")

    def so_far(self) -> str:
        """Both channels, the program's output first, as a terminal would have shown them."""
        return self.text(Channel.USER_CODE) + self.text(Channel.TESTS)
