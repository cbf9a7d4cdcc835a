"""merge_users and split_users as a few set-based statements in one transaction.

The result must equal `handyman_core.merge_rules` applied to the two users' rows; the CASE
expressions below are that rule written in SQL, and the store's property tests hold them to it.
Unlike the original, no row is read into Python and practice projects are merged and copied too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    Table,
    case,
    delete,
    exists,
    literal,
    or_,
    select,
    update,
)

from handyman_core.errors import Conflict
from handyman_core.merge_rules import check_merge_ids, check_split_ids
from handyman_core.status import Status, StatusLike, stored_statuses
from handyman_store.database import user_write_lock
from handyman_store.schema import attempts, chapter_progress, course_progress, task_progress
from handyman_store.schema import practice_progress as project_progress
from handyman_store.segment_transfers import carry_memberships
from handyman_store.upsert import ConflictInsert, conflict_insert, primary_key

_STATUS_TABLES = (course_progress, chapter_progress)
_ITEM_TABLES = (task_progress, project_progress)
PROGRESS_TABLES = (*_STATUS_TABLES, *_ITEM_TABLES)


def merge_users(engine: Engine, cur_user_id: int, old_user_id: int, *, now: datetime) -> None:
    """Fold every progress row of `old` into `cur`, delete `old`'s rows and move its attempt log
    and explicit segment memberships to `cur` (membership changes logged at `now`). Raises
    InvalidInput (before touching anything) for bad or equal ids."""
    cur, old = check_merge_ids(cur_user_id, old_user_id)
    with engine.begin() as connection:
        user_write_lock(connection, [cur, old])
        for table in PROGRESS_TABLES:
            _fold_rows(connection, table, cur, old)
            connection.execute(delete(table).where(table.c.user_id == old))
        connection.execute(update(attempts).where(attempts.c.user_id == old).values(user_id=cur))
        carry_memberships(connection, old, cur, now=now, keep_source=False)


def split_users(engine: Engine, cur_user_id: int, new_user_id: int, *, now: datetime) -> None:
    """Copy every progress row of `cur` to `new`, and fold `cur`'s explicit segment memberships
    into `new`'s. Raises Conflict, writing nothing, when `new` already has any progress row, and
    InvalidInput for bad or equal ids."""
    cur, new = check_split_ids(cur_user_id, new_user_id)
    with engine.begin() as connection:
        user_write_lock(connection, [cur, new])
        if _has_progress(connection, new):
            raise Conflict("new_user_id already has progress")
        for table in PROGRESS_TABLES:
            connection.execute(_copy_rows(connection, table, cur, new))
        carry_memberships(connection, cur, new, now=now, keep_source=True)


def _fold_rows(connection: Connection, table: Table, cur: int, old: int) -> None:
    statement = _copy_rows(connection, table, old, cur)
    target, incoming = table.c, statement.excluded
    merged: dict[str, ColumnElement[object]] = {
        "status": merged_status(target.status, incoming.status)
    }
    if table in _ITEM_TABLES:
        merged["attempts_count"] = target.attempts_count + incoming.attempts_count
        merged["solution_text"] = _merged_solution(
            old_status=incoming.status,
            old_solution=incoming.solution_text,
            cur_status=target.status,
            cur_solution=target.solution_text,
        )
    connection.execute(
        statement.on_conflict_do_update(index_elements=primary_key(table), set_=merged)
    )


def _copy_rows(connection: Connection, table: Table, source: int, target: int) -> ConflictInsert:
    """`INSERT INTO t SELECT <target>, ... FROM t WHERE user_id = <source>`. The WHERE clause
    is also what lets SQLite parse an ON CONFLICT clause after the SELECT."""
    other_columns = [column for column in table.c if column.name != "user_id"]
    rows = select(literal(target, BigInteger()), *other_columns).where(table.c.user_id == source)
    return conflict_insert(connection, table).from_select(
        ["user_id", *(column.name for column in other_columns)], rows
    )


def merged_status(
    cur: ColumnElement[object],
    old: ColumnElement[object],
    statuses: Iterable[StatusLike] = Status,
) -> ColumnElement[object]:
    """The higher-ranked of two stored statuses (`Status.rank`; both rows exist, so neither is
    not_started): a WHEN per stored status from the highest down, the lowest as ELSE."""
    ranked = list(reversed(stored_statuses(statuses)))
    higher, last = ranked[:-1], ranked[-1]
    return case(
        *((or_(cur == status.value, old == status.value), status.value) for status in higher),
        else_=last.value,
    )


def _merged_solution(
    *,
    old_status: ColumnElement[object],
    old_solution: ColumnElement[object],
    cur_status: ColumnElement[object],
    cur_solution: ColumnElement[object],
) -> ColumnElement[object]:
    """The original's best_solution: a completed solution wins, the old one first; otherwise a
    non-empty old text beats the current one."""
    return case(
        (old_status == Status.COMPLETED.value, old_solution),
        (cur_status == Status.COMPLETED.value, cur_solution),
        (old_solution != "", old_solution),
        else_=cur_solution,
    )


def _has_progress(connection: Connection, user_id: int) -> bool:
    checks = [exists().where(table.c.user_id == user_id) for table in PROGRESS_TABLES]
    return bool(connection.execute(select(or_(*checks))).scalar_one())
