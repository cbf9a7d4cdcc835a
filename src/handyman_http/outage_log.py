"""Logging a dependency outage without flooding the log.

During an outage under load every request fails the same way; a traceback per request turns a
20-second database restart into tens of megabytes of log. The first failure is logged at once, in
one line; later ones are counted and summarised at most once per interval. A failure after a
quiet interval starts a new outage, logged at once again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from attrs import define

SUMMARY_INTERVAL_S = 10.0


@define
class _Outage:
    logged_at: float
    last_failure: float
    unlogged: int = 0


class OutageLog:
    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = SUMMARY_INTERVAL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval_s = interval_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._outages: dict[str, _Outage] = {}

    def failed(self, dependency: str, reason: str) -> None:
        now = self._monotonic()
        with self._lock:
            outage = self._outages.get(dependency)
            if outage is None or now - outage.last_failure > self._interval_s:
                self._outages[dependency] = _Outage(logged_at=now, last_failure=now)
                self._logger.warning(
                    "%s unavailable: %s (further failures summarised every %g s)",
                    dependency,
                    reason,
                    self._interval_s,
                )
                return
            outage.last_failure = now
            outage.unlogged += 1
            if now - outage.logged_at < self._interval_s:
                return
            self._logger.warning(
                "%s still unavailable: %d more failed requests in the last %.0f s; latest: %s",
                dependency,
                outage.unlogged,
                now - outage.logged_at,
                reason,
            )
            outage.logged_at = now
            outage.unlogged = 0
