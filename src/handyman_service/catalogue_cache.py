"""Each worker serves the catalogue from memory and notices a new import without a restart.

The version check is one tiny query at most once per `refresh_seconds`, so requests never read
files and almost never touch the catalogue tables. Once a catalogue is loaded, requests never wait
for a check another thread is making: with the database frozen, a check takes seconds, and the
worker's other requests must not queue behind it (each answers 503 on its own query instead).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from handyman_core.catalogue import Catalogue
from handyman_core.course_gating import without_courses
from handyman_core.ids import CourseId
from handyman_core.ports import CatalogueStore

MAX_VIEWS = 64
"""Views of one catalogue kept at once: one per set of courses some learner may not see."""


class CatalogueCache:
    def __init__(
        self,
        store: CatalogueStore,
        refresh_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._swap_lock = threading.Lock()
        self._catalogue = Catalogue()
        self._version: int | None = None
        self._checked_at = float("-inf")
        self._source = ""
        self._views_lock = threading.Lock()
        self._views_of: Catalogue | None = None
        self._views: dict[frozenset[CourseId], Catalogue] = {}

    def current(self) -> Catalogue:
        now = self._monotonic()
        if now - self._checked_at < self._refresh_seconds:
            return self._catalogue
        if self._version is None:
            # Nothing loaded yet: every request loads (or fails) for itself rather than wait.
            self._refresh()
            self._checked_at = now
            return self._catalogue
        if not self._lock.acquire(blocking=False):
            return self._catalogue
        try:
            if now - self._checked_at >= self._refresh_seconds:
                # Set first: a check that fails is retried after the interval, not by every
                # request meanwhile.
                self._checked_at = now
                self._refresh()
        finally:
            self._lock.release()
        return self._catalogue

    def without(self, catalogue: Catalogue, hidden: frozenset[CourseId]) -> Catalogue:
        """`catalogue` less the `hidden` courses (see `core.course_gating`), built once per set
        of hidden courses and kept until the catalogue changes."""
        if not hidden:
            return catalogue
        with self._views_lock:
            if self._views_of is not catalogue:
                self._views_of, self._views = catalogue, {}
            view = self._views.get(hidden)
            if view is None:
                if len(self._views) >= MAX_VIEWS:
                    self._views.clear()
                view = self._views[hidden] = without_courses(catalogue, hidden)
        return view

    def source(self) -> str:
        """The folder the served catalogue was imported from ("" before any import)."""
        self.current()
        return self._source

    def _refresh(self) -> None:
        stored = self._store.catalogue_version()
        if stored.version != self._version:
            catalogue = self._store.load_catalogue()
            with self._swap_lock:
                self._catalogue, self._version, self._source = (
                    catalogue,
                    stored.version,
                    stored.source,
                )
