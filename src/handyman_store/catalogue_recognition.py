"""An import of a folder the database already holds, answered without parsing the folder.

Every import that writes the catalogue records the digest of the folder it read
(`course_folder_snapshot`) with that reading's warnings and the segments its courses are gated
by (`catalogue_state`). When a folder's digest equals the recorded one, the reading would be
the very one the live catalogue was written from: same files, same contents, same code reading
them (the digest covers the reader's source). Comparing it item by item would find every item
unchanged, so the report is built from the database instead: one statement for the schema
revision, the recorded folder and the count of live items per kind, and one more for the gating
segments' state when there are any. A gating segment deleted since, a schema behind the
release, a different digest or any doubt (a statement failing) answers None, and the import
reads and compares the folder in full, which reports whatever is wrong in its own words.

It runs on a bare driver connection and loads neither SQLAlchemy nor the catalogue model, so
the command line answers an unchanged import with little more than the driver imported.
"""

from __future__ import annotations

import json

from handyman_store.catalogue_report import ImportReport, KindReport
from handyman_store.catalogue_tables import TABLES
from handyman_store.driver_statements import Driver, Sql
from handyman_store.live_segments import segments_alive
from handyman_store.schema_version import at_head


def recognised_import(
    driver: Driver, digest: str, source: str, *, dry_run: bool = False
) -> ImportReport | None:
    """The report of importing the folder with `digest` when the database holds it already
    (nothing to change, nothing written); None when the folder must be read in full."""
    try:
        row = driver.first(_RECORDED, {})
        if row is None:
            return None
        revision, version, recorded, warnings, gating, *counts = row
        if recorded != digest or warnings is None or gating is None or not at_head(revision):
            return None
        segments = json.loads(gating)
        if not all(segments_alive(driver, segments).get(name, False) for name in segments):
            return None
    except driver.errors:
        return None
    live = {
        table.kind: KindReport(unchanged=count) for table, count in zip(TABLES, counts, strict=True)
    }
    return ImportReport(
        source=source,
        courses=live["courses"],
        chapters=live["chapters"],
        tasks=live["tasks"],
        examples=live["examples"],
        projects=live["projects"],
        warnings=tuple(json.loads(warnings)),
        version=version,
        dry_run=dry_run,
    )


def _recorded_statement() -> Sql:
    counts = ", ".join(f"(SELECT count(*) FROM {table.name} WHERE NOT retired)" for table in TABLES)
    return Sql.of(
        "SELECT (SELECT version_num FROM alembic_version), version, folder_digest, "
        f"folder_warnings, gating_segments, {counts} FROM catalogue_state WHERE id = 1"
    )


_RECORDED = _recorded_statement()
