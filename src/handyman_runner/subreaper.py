"""Making the service the reaper of the sandboxes' namespace inits.

With a pid namespace, the outer bwrap learns its command's exit status from bwrap's init over
an eventfd and exits without waiting for that init, which is then re-parented. As a child
subreaper the service gets it (instead of the host's pid 1, which may never reap it), so the
runner can wait until the namespace is empty and read the init's accumulated CPU time, which
includes every process of the sandbox.
"""

from __future__ import annotations

import ctypes

PR_SET_CHILD_SUBREAPER = 36


def become_child_subreaper() -> bool:
    """Process-wide and inherited by nothing; True if the kernel accepted it."""
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
