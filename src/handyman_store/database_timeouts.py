"""How long PostgreSQL may take before a caller gives up on it: the settings `database` builds
engines with and `driver_connection` connects with (no SQLAlchemy here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen


@frozen
class DatabaseTimeouts:
    """How long PostgreSQL may take before the caller gives up on it.

    The defaults suit request handling: a request answers 503 within a few seconds whatever state
    the server is in, and a database that comes back is used again at the next connection.
    Maintenance commands (migrations, catalogue imports) use `BATCH_TIMEOUTS`, whose statements
    may run as long as they need.
    """

    connect_s: float = 2.0
    """libpq's connect_timeout (it counts whole seconds, at least 2)."""
    statement_s: float | None = 1.5
    """The server's statement_timeout (lock waits included); None: no limit."""
    answer_grace_s: float = 0.5
    """How much longer than statement_s the client waits for any answer before it closes the
    connection: the server normally cancels first, keeping the connection usable."""
    pool_checkout_s: float = 2.0
    """How long a request waits for a free pooled connection."""
    keepalive_idle_s: int = 10
    keepalive_interval_s: int = 5
    keepalive_count: int = 3
    """TCP keepalives, so a pooled connection to a host that vanished is noticed while idle."""

    @property
    def answer_limit_s(self) -> float | None:
        return None if self.statement_s is None else self.statement_s + self.answer_grace_s

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> DatabaseTimeouts:
        """HANDYMAN_DB_CONNECT_TIMEOUT, HANDYMAN_DB_STATEMENT_TIMEOUT (0: no limit) and
        HANDYMAN_DB_POOL_TIMEOUT, in seconds; unset ones keep their defaults."""
        defaults = cls()
        statement = _seconds(environ, "HANDYMAN_DB_STATEMENT_TIMEOUT", defaults.statement_s or 0)
        return cls(
            connect_s=_seconds(environ, "HANDYMAN_DB_CONNECT_TIMEOUT", defaults.connect_s),
            statement_s=statement or None,
            pool_checkout_s=_seconds(environ, "HANDYMAN_DB_POOL_TIMEOUT", defaults.pool_checkout_s),
        )

    def libpq_parameters(self) -> dict[str, Any]:
        return {
            "connect_timeout": max(2, round(self.connect_s)),
            "keepalives": 1,
            "keepalives_idle": self.keepalive_idle_s,
            "keepalives_interval": self.keepalive_interval_s,
            "keepalives_count": self.keepalive_count,
        }


BATCH_TIMEOUTS = DatabaseTimeouts(connect_s=5.0, statement_s=None, pool_checkout_s=30.0)


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"{name} must be a number of seconds, not {value!r}")
    return seconds
