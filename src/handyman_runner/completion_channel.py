"""One test stage's completion channel (see `completion`): a fresh nonce handed into the
sandbox on one pipe, and the pipe on which the harness hands it back.

The nonce pipe is filled and its write end closed before the sandbox starts, so the harness
reads the nonce to end of file and nothing is left in the pipe for the learner's code to read.
The answer is read after the stage ended, from outside the sandbox.
"""

from __future__ import annotations

import hmac
import os
import secrets

from handyman_runner.completion import CompletionFds

NONCE_BYTES = 16


class CompletionChannel:
    def __init__(self) -> None:
        self._nonce = secrets.token_hex(NONCE_BYTES).encode()
        self._open: list[int] = []
        nonce_read, nonce_write = self._pipe()
        try:
            os.write(nonce_write, self._nonce)
        finally:
            self._close(nonce_write)
        self._done_read, self._done_write = self._pipe()
        self._nonce_read = nonce_read

    @property
    def fds(self) -> CompletionFds:
        """The descriptors the sandbox inherits."""
        return CompletionFds(nonce=self._nonce_read, done=self._done_write)

    def completed(self) -> bool:
        """True if exactly the nonce came back; call once the stage has ended."""
        os.set_blocking(self._done_read, False)
        answer = bytearray()
        while len(answer) <= len(self._nonce):
            try:
                chunk = os.read(self._done_read, 4096)
            except BlockingIOError:
                break
            if not chunk:
                break
            answer += chunk
        return hmac.compare_digest(bytes(answer), self._nonce)

    def close(self) -> None:
        while self._open:
            os.close(self._open.pop())

    def _pipe(self) -> tuple[int, int]:
        read_end, write_end = os.pipe()
        self._open += [read_end, write_end]
        return read_end, write_end

    def _close(self, fd: int) -> None:
        self._open.remove(fd)
        os.close(fd)
