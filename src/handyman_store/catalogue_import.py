"""Import a course catalogue into the database: all or nothing, and idempotent.

Each item is compared with its row by content hash, so the import reads one query for every
table and writes only what differs. Items gone from the folder are marked retired, never
deleted, because progress rows reference them; an item that comes back is revived. An import
that finds nothing to change leaves the catalogue and its version alone; the one thing it may
write is the folder's digest (`catalogue_state.folder_digest`), when the rows match but the
digest they are recorded under does not (a new release, a file the reading skips), so that the
next import of that folder is recognised without parsing it (`catalogue_recognition`).

The statements are SQL text written once (`driver_statements.Sql`) and run on the driver
connection, in one transaction: the command line's own connection (`import_on_driver`, with no
SQLAlchemy imported at all), or the one under a SQLAlchemy connection (`import_catalogue`,
through `exec_driver_sql`, so engine events see every statement). Reading what is stored is
one statement for all five tables; each kind of write of each kind of item is one statement
text run over its rows by the driver's executemany, which psycopg sends as one pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from attrs import frozen

from handyman_core.catalogue import Catalogue
from handyman_core.course_gating import gating_segments
from handyman_core.errors import CatalogueInvalid
from handyman_store.advisory_locks import CATALOGUE_IMPORT_LOCK_KEY
from handyman_store.catalogue_report import (
    ImportProgress,
    ImportReport,
    KindReport,
    ProgressCallback,
)
from handyman_store.catalogue_rows import KINDS, ItemKind, Key, Row, content_hash
from handyman_store.driver_statements import (
    DriverKind,
    Parameters,
    Sql,
    Statements,
    stored_timestamp,
)
from handyman_store.live_segments import segments_alive

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from handyman_store.course_folder import FolderReading
    from handyman_store.driver_connection import DriverConnection

__all__ = [
    "Changes",
    "ImportProgress",
    "ImportReport",
    "KindReport",
    "ProgressCallback",
    "Stored",
    "classify",
    "import_catalogue",
    "import_on_driver",
]

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
    incoming = _Incoming.of(reading)
    with engine.connect() as connection, connection.begin() as transaction:
        outcome = _import(_OnConnection(connection), incoming, source, dry_run, progress)
        if outcome.commit:
            transaction.commit()
        else:
            transaction.rollback()
    return outcome.report


def import_on_driver(
    connection: DriverConnection,
    reading: FolderReading | Catalogue,
    source: str,
    *,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """`import_catalogue` on a connection of `driver_connection` (no SQLAlchemy involved)."""
    incoming = _Incoming.of(reading)
    with connection.transaction() as transaction:
        outcome = _import(connection.driver, incoming, source, dry_run, progress)
        if not outcome.commit:
            transaction.rollback()
    return outcome.report


@frozen
class _Incoming:
    """What is being imported, checked and turned into rows before the database is touched."""

    catalogue: Catalogue
    rows: tuple[dict[Key, Row], ...]
    """Per kind (in `KINDS` order): the rows by key, with their content hashes."""
    warnings: tuple[str, ...]
    digest: str | None
    """The folder's digest; None for a catalogue that came from no folder."""

    @classmethod
    def of(cls, reading: FolderReading | Catalogue) -> _Incoming:
        warnings: tuple[str, ...] = ()
        digest: str | None = None
        if isinstance(reading, Catalogue):
            catalogue = reading
        else:
            if reading.errors:
                raise CatalogueInvalid(list(reading.errors))
            catalogue, warnings, digest = reading.catalogue, reading.warnings, reading.digest
        rows = tuple(_incoming_rows(kind, catalogue) for kind in KINDS)
        return cls(catalogue, rows, tuple(warnings), digest)

    def state_columns(self) -> dict[str, object]:
        """`catalogue_state`'s record of where the live catalogue came from."""
        if self.digest is None:
            return {"folder_digest": None, "folder_warnings": None, "gating_segments": None}
        return {
            "folder_digest": self.digest,
            "folder_warnings": json.dumps(list(self.warnings)),
            "gating_segments": json.dumps(sorted(gating_segments(self.catalogue))),
        }


@frozen
class _Outcome:
    report: ImportReport
    commit: bool


def _import(
    statements: Statements,
    incoming: _Incoming,
    source: str,
    dry_run: bool,
    progress: ProgressCallback | None,
) -> _Outcome:
    steps = _Steps(progress, total=len(KINDS) if dry_run else 2 * len(KINDS))
    if statements.kind == "postgresql":
        statements.rows(_LOCK, {"key": CATALOGUE_IMPORT_LOCK_KEY})
    _check_gating_segments(statements, incoming.catalogue)
    stored = _stored(statements)
    plans = []
    for kind, rows in zip(KINDS, incoming.rows, strict=True):
        changes = classify(
            stored[kind.name], {key: row["content_hash"] for key, row in rows.items()}
        )
        plans.append(_Plan(kind, rows, changes))
        steps.done(f"compared {kind.name}")
    state = statements.rows(_STATE, {})
    stored_version: int | None = state[0][0] if state else None
    stored_digest: str | None = state[0][1] if state else None
    version = stored_version or 0
    commit = False
    if not dry_run:
        if any(plan.writes_anything for plan in plans):
            for plan in plans:
                plan.write(statements)
                steps.done(f"wrote {plan.kind.name}")
            version = _bump_version(statements, stored_version, source, incoming)
            commit = True
        elif state and incoming.digest is not None and stored_digest != incoming.digest:
            statements.execute(_RECORD_FOLDER, incoming.state_columns())
            commit = True
    reports = {plan.kind.name: plan.report() for plan in plans}
    report = ImportReport(
        source=source,
        courses=reports["courses"],
        chapters=reports["chapters"],
        tasks=reports["tasks"],
        examples=reports["examples"],
        projects=reports["projects"],
        warnings=incoming.warnings,
        version=version,
        dry_run=dry_run,
    )
    return _Outcome(report, commit)


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


def _stored(statements: Statements) -> dict[str, dict[Key, Stored]]:
    """Every stored item's key, hash and retirement, by kind: one statement for all tables."""
    stored: dict[str, dict[Key, Stored]] = {kind.name: {} for kind in KINDS}
    for position, first, second, digest, retired in statements.rows(_STORED, {}):
        kind = KINDS[position]
        key = (first,) if second is None else (first, second)
        stored[kind.name][key] = Stored(digest, bool(retired))
    return stored


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

    def write(self, statements: Statements) -> None:
        written = _WRITES[self.kind.name]
        if self.changes.added:
            statements.execute_many(written.insert, [self.rows[key] for key in self.changes.added])
        rewritten = self.changes.changed + self.changes.revived
        if rewritten:
            statements.execute_many(written.rewrite, [self.rows[key] for key in rewritten])
        if self.changes.retired:
            statements.execute_many(
                written.retire,
                [
                    {**dict(zip(self.kind.key_columns, key, strict=True)), "retired": True}
                    for key in self.changes.retired
                ],
            )


def _bump_version(
    statements: Statements, stored_version: int | None, source: str, incoming: _Incoming
) -> int:
    version = (stored_version or 0) + 1
    moment = stored_timestamp(statements.kind, datetime.now(UTC))
    values = {
        "version": version,
        "source": source,
        "imported_at": moment,
        **incoming.state_columns(),
    }
    statements.execute(_FIRST_VERSION if stored_version is None else _NEXT_VERSION, values)
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


def _check_gating_segments(statements: Statements, catalogue: Catalogue) -> None:
    """A course may only be gated by a live segment: one that does not exist, or is deleted,
    would hide the course from everybody."""
    known = segments_alive(statements, sorted(gating_segments(catalogue)))
    problems = []
    for course in catalogue.courses:
        if course.segment is None:
            continue
        if course.segment not in known:
            problems.append(
                f"{course.id}: tags.json names segment {course.segment}, which does not exist"
            )
        elif not known[course.segment]:
            problems.append(
                f"{course.id}: tags.json names segment {course.segment}, which is deleted"
            )
    if problems:
        raise CatalogueInvalid(problems)


class _OnConnection:
    """Statements on the driver under a SQLAlchemy connection, through `exec_driver_sql` so
    that engine events see each one (and tests can record or fail them)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.kind: DriverKind = (
            "postgresql" if connection.dialect.name == "postgresql" else "sqlite"
        )

    def rows(self, statement: Sql, parameters: Parameters) -> list[tuple[Any, ...]]:
        result = self._connection.exec_driver_sql(statement.text_for(self.kind), dict(parameters))
        return [tuple(row) for row in result]

    def execute(self, statement: Sql, parameters: Parameters) -> int:
        result = self._connection.exec_driver_sql(statement.text_for(self.kind), dict(parameters))
        count: int = result.rowcount
        return count

    def execute_many(self, statement: Sql, parameters: Sequence[Parameters]) -> None:
        self._connection.exec_driver_sql(
            statement.text_for(self.kind), [dict(values) for values in parameters]
        )


# The statements, written once.

_LOCK = Sql.of("SELECT pg_advisory_xact_lock(:key)")
_STATE = Sql.of("SELECT version, folder_digest FROM catalogue_state WHERE id = 1")
_FIRST_VERSION = Sql.of(
    "INSERT INTO catalogue_state "
    "(id, version, source, imported_at, folder_digest, folder_warnings, gating_segments) "
    "VALUES (1, :version, :source, :imported_at, :folder_digest, :folder_warnings, "
    ":gating_segments)"
)
_NEXT_VERSION = Sql.of(
    "UPDATE catalogue_state SET version = :version, source = :source, "
    "imported_at = :imported_at, folder_digest = :folder_digest, "
    "folder_warnings = :folder_warnings, gating_segments = :gating_segments WHERE id = 1"
)
_RECORD_FOLDER = Sql.of(
    "UPDATE catalogue_state SET folder_digest = :folder_digest, "
    "folder_warnings = :folder_warnings, gating_segments = :gating_segments WHERE id = 1"
)


def _stored_statement() -> Sql:
    selects = []
    for position, kind in enumerate(KINDS):
        first, *rest = kind.key_columns
        second = rest[0] if rest else "CAST(NULL AS TEXT)"
        selects.append(
            f"SELECT {position}, {first}, {second}, content_hash, retired FROM {kind.table.name}"
        )
    return Sql.of(" UNION ALL ".join(selects))


_STORED = _stored_statement()


@frozen
class _KindWrites:
    """The three writes of one kind: add rows, rewrite rows (changed or revived), retire rows;
    each run once per row, by the driver's executemany."""

    insert: Sql
    rewrite: Sql
    retire: Sql


def _kind_writes(kind: ItemKind[Any]) -> _KindWrites:
    table = kind.table.name
    rewritten = (*kind.content_columns, "content_hash", "retired")
    by_key = " AND ".join(f"{name} = :{name}" for name in kind.key_columns)
    return _KindWrites(
        insert=Sql.of(
            f"INSERT INTO {table} ({', '.join(kind.columns)}) "
            f"VALUES ({', '.join(f':{name}' for name in kind.columns)})"
        ),
        rewrite=Sql.of(
            f"UPDATE {table} SET {', '.join(f'{name} = :{name}' for name in rewritten)} "
            f"WHERE {by_key}"
        ),
        retire=Sql.of(f"UPDATE {table} SET retired = :retired WHERE {by_key}"),
    )


_WRITES = {kind.name: _kind_writes(kind) for kind in KINDS}
