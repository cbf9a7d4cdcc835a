"""Import a course catalogue into the database: all or nothing, and idempotent.

Each item is compared with its row by content hash, so the import reads one query per table and
writes only what differs, in executemany batches. Items gone from the folder are marked retired,
never deleted, because progress rows reference them; an item that comes back is revived.
An import that finds nothing to change writes nothing at all, not even the catalogue version.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from attrs import frozen
from sqlalchemy import Connection, Engine, and_, bindparam, select

from handyman_core.catalogue import Catalogue
from handyman_core.course_gating import gating_segments
from handyman_core.errors import CatalogueInvalid
from handyman_core.segments import current_by_name
from handyman_store import schema
from handyman_store.catalogue_rows import KINDS, ItemKind, Key, Row, content_hash
from handyman_store.database import catalogue_write_lock
from handyman_store.segment_rows import segments_named

if TYPE_CHECKING:
    from handyman_store.course_folder import FolderReading

_K = TypeVar("_K", bound=Hashable)


@frozen
class Stored:
    """What the database holds for one item, as far as the import cares."""

    content_hash: str
    retired: bool


@frozen
class Changes(Generic[_K]):
    """How the items of one kind differ between the database and the incoming catalogue."""

    added: tuple[_K, ...] = ()
    changed: tuple[_K, ...] = ()
    revived: tuple[_K, ...] = ()
    """Retired in the database and present again (with the same or a new content)."""
    retired: tuple[_K, ...] = ()
    """Live in the database and gone from the catalogue."""
    unchanged: tuple[_K, ...] = ()


def classify(stored: Mapping[_K, Stored], incoming: Mapping[_K, str]) -> Changes[_K]:
    """Compare stored rows with incoming content hashes; keys keep the order of the mappings.

    Rows already retired and still absent belong to no class: there is nothing to do for them.
    """
    added: list[_K] = []
    changed: list[_K] = []
    revived: list[_K] = []
    unchanged: list[_K] = []
    for key, incoming_hash in incoming.items():
        row = stored.get(key)
        if row is None:
            added.append(key)
        elif row.retired:
            revived.append(key)
        elif row.content_hash != incoming_hash:
            changed.append(key)
        else:
            unchanged.append(key)
    retired = [key for key, row in stored.items() if not row.retired and key not in incoming]
    return Changes(
        added=tuple(added),
        changed=tuple(changed),
        revived=tuple(revived),
        retired=tuple(retired),
        unchanged=tuple(unchanged),
    )


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


def import_catalogue(
    engine: Engine,
    reading: FolderReading | Catalogue,
    source: str,
    *,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Make the database's live catalogue equal `reading`, in one transaction.

    A reading with errors is refused with `CatalogueInvalid` before the database is touched.
    `source` (e.g. the folder path) is recorded with the new version when something changed.
    """
    warnings: tuple[str, ...] = ()
    if isinstance(reading, Catalogue):
        catalogue = reading
    else:
        if reading.errors:
            raise CatalogueInvalid(list(reading.errors))
        catalogue, warnings = reading.catalogue, tuple(reading.warnings)
    incoming = [_incoming_rows(kind, catalogue) for kind in KINDS]
    steps = _Steps(progress, total=len(KINDS) if dry_run else 2 * len(KINDS))
    with engine.connect() as connection, connection.begin() as transaction:
        catalogue_write_lock(connection)
        _check_gating_segments(connection, catalogue)
        plans = []
        for kind, rows in zip(KINDS, incoming, strict=True):
            changes = classify(
                _stored(connection, kind), {key: row["content_hash"] for key, row in rows.items()}
            )
            plans.append(_Plan(kind, rows, changes))
            steps.done(f"compared {kind.name}")
        stored_version = _stored_version(connection)
        version = stored_version or 0
        if dry_run or not any(plan.writes_anything for plan in plans):
            transaction.rollback()
        else:
            for plan in plans:
                plan.write(connection)
                steps.done(f"wrote {plan.kind.name}")
            version = _bump_version(connection, stored_version, source)
            transaction.commit()
    reports = {plan.kind.name: plan.report() for plan in plans}
    return ImportReport(
        source=source,
        courses=reports["courses"],
        chapters=reports["chapters"],
        tasks=reports["tasks"],
        examples=reports["examples"],
        projects=reports["projects"],
        warnings=warnings,
        version=version,
        dry_run=dry_run,
    )


def _incoming_rows(kind: ItemKind[Any], catalogue: Catalogue) -> dict[Key, Row]:
    rows: dict[Key, Row] = {}
    duplicates = []
    for item in kind.items_of(catalogue):
        row = kind.to_row(item)
        key = kind.key_of(row)
        if key in rows:
            duplicates.append(f"{kind.name}: {'/'.join(key)} appears more than once")
        row["content_hash"] = content_hash(row)
        row["retired"] = False
        rows[key] = row
    if duplicates:
        raise CatalogueInvalid(duplicates)
    return rows


def _stored(connection: Connection, kind: ItemKind[Any]) -> dict[Key, Stored]:
    table = kind.table
    key_columns = [table.c[name] for name in kind.key_columns]
    query = select(*key_columns, table.c.content_hash, table.c.retired)
    return {
        tuple(row)[: len(key_columns)]: Stored(row.content_hash, bool(row.retired))
        for row in connection.execute(query)
    }


@frozen
class _Plan:
    kind: ItemKind[Any]
    rows: dict[Key, Row]
    changes: Changes[Key]

    @property
    def writes_anything(self) -> bool:
        return self.report().writes_anything

    def report(self) -> KindReport:
        return KindReport(
            added=len(self.changes.added),
            changed=len(self.changes.changed),
            revived=len(self.changes.revived),
            retired=len(self.changes.retired),
            unchanged=len(self.changes.unchanged),
        )

    def write(self, connection: Connection) -> None:
        table = self.kind.table
        if self.changes.added:
            connection.execute(table.insert(), [self.rows[key] for key in self.changes.added])
        rewritten = self.changes.changed + self.changes.revived
        if rewritten:
            columns = (*self.kind.content_columns, "content_hash", "retired")
            statement = (
                table.update()
                .where(self._key_matches())
                .values({name: bindparam(f"new_{name}") for name in columns})
            )
            connection.execute(
                statement,
                [
                    {
                        **self._key_parameters(key),
                        **{f"new_{name}": self.rows[key][name] for name in columns},
                    }
                    for key in rewritten
                ],
            )
        if self.changes.retired:
            statement = table.update().where(self._key_matches()).values(retired=True)
            connection.execute(
                statement, [self._key_parameters(key) for key in self.changes.retired]
            )

    def _key_matches(self) -> Any:
        table = self.kind.table
        return and_(*(table.c[name] == bindparam(f"key_{name}") for name in self.kind.key_columns))

    def _key_parameters(self, key: Key) -> Row:
        return {
            f"key_{name}": value for name, value in zip(self.kind.key_columns, key, strict=True)
        }


def _stored_version(connection: Connection) -> int | None:
    state = schema.catalogue_state
    version: int | None = connection.execute(
        select(state.c.version).where(state.c.id == 1)
    ).scalar_one_or_none()
    return version


def _bump_version(connection: Connection, stored_version: int | None, source: str) -> int:
    state = schema.catalogue_state
    version = (stored_version or 0) + 1
    values = {"version": version, "source": source, "imported_at": datetime.now(UTC)}
    if stored_version is None:
        connection.execute(state.insert().values(id=1, **values))
    else:
        connection.execute(state.update().where(state.c.id == 1).values(**values))
    return version


class _Steps:
    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self._callback = callback
        self._total = total
        self._completed = 0

    def done(self, description: str) -> None:
        self._completed += 1
        if self._callback is not None:
            self._callback(ImportProgress(description, self._completed, self._total))


def _check_gating_segments(connection: Connection, catalogue: Catalogue) -> None:
    """A course may only be gated by a live segment: one that does not exist, or is deleted,
    would hide the course from everybody."""
    named = segments_named(connection, gating_segments(catalogue), lock=False)
    problems = []
    for course in catalogue.courses:
        if course.segment is None:
            continue
        segment = current_by_name(named[course.segment])
        if segment is None:
            problems.append(
                f"{course.id}: tags.json names segment {course.segment}, which does not exist"
            )
        elif not segment.live:
            problems.append(
                f"{course.id}: tags.json names segment {course.segment}, which is deleted"
            )
    if problems:
        raise CatalogueInvalid(problems)
