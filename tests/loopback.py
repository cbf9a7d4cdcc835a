"""Loopback ports for the servers tests and benchmarks start: never any other address."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on right now (also what a "closed port" test needs)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
