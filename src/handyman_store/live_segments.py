"""Which segment names a live segment bears, asked on the driver (`driver_statements`): what
both a catalogue import and the recognition of an unchanged folder check about the segments
courses are gated by."""

from __future__ import annotations

from collections.abc import Sequence

from handyman_store.driver_statements import Sql, Statements


def segments_alive(statements: Statements, names: Sequence[str]) -> dict[str, bool]:
    """For each of `names` that a segment ever bore: whether a live one bears it now (a name
    no segment ever bore is absent)."""
    if not names:
        return {}
    placeholders = ", ".join(f":name_{number}" for number in range(len(names)))
    statement = Sql.of(
        f"SELECT name, deleted_at IS NULL FROM segments WHERE name IN ({placeholders})"
    )
    alive: dict[str, bool] = {}
    parameters = {f"name_{number}": name for number, name in enumerate(names)}
    for name, live in statements.rows(statement, parameters):
        alive[name] = alive.get(name, False) or bool(live)
    return alive
