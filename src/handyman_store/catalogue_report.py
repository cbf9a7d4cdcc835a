"""What an import of a catalogue reports: per kind of item, how many were added, changed,
revived, retired or left unchanged; the reading's warnings; the catalogue version. Its own
module, apart from the import, so that recognising an unchanged folder
(`catalogue_recognition`) can report without loading the import and the catalogue model."""

from __future__ import annotations

from collections.abc import Callable

from attrs import frozen


@frozen
class KindReport:
    """Counts for one kind of item. `live` is how many are live after the import."""

    added: int = 0
    changed: int = 0
    revived: int = 0
    retired: int = 0
    unchanged: int = 0

    @property
    def live(self) -> int:
        return self.added + self.changed + self.revived + self.unchanged

    @property
    def writes_anything(self) -> bool:
        return bool(self.added or self.changed or self.revived or self.retired)


@frozen
class ImportReport:
    source: str
    courses: KindReport
    chapters: KindReport
    tasks: KindReport
    examples: KindReport
    projects: KindReport
    warnings: tuple[str, ...]
    version: int
    """The catalogue version in the database after this call (a dry run leaves it as it was)."""
    dry_run: bool

    @property
    def by_kind(self) -> dict[str, KindReport]:
        return {
            "courses": self.courses,
            "chapters": self.chapters,
            "tasks": self.tasks,
            "examples": self.examples,
            "projects": self.projects,
        }

    @property
    def changes_anything(self) -> bool:
        """Whether the import wrote (or, for a dry run, would write) anything."""
        return any(report.writes_anything for report in self.by_kind.values())


@frozen
class ImportProgress:
    """One finished step of an import, for a progress bar: `completed` of `total` steps."""

    description: str
    completed: int
    total: int


ProgressCallback = Callable[[ImportProgress], None]
