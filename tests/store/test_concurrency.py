"""Concurrent runs, saves and merges of the same users never lose an attempt or a completion
(contract §4). PostgreSQL only: SQLite admits one writer at a time by construction.

Operations on an old user are kept from overlapping its merge (a Python lock per old user), the
way a linked account stops being used once linked: otherwise a run committed just after the
merge would legitimately leave a row for the old user. Runs and saves of the surviving users do
overlap the merges, which is where a lost update would happen without the store's locking.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from attrs import define, field
from sqlalchemy import Engine, func, select

from handyman_core.ids import TaskId
from handyman_core.run_protocol import RunResult, Verdict
from handyman_core.status import Status
from handyman_store import progress_reads, progress_writes, schema
from handyman_store.merge_split import merge_users
from tests.store.progress_catalogue import NOW

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

WORKERS = 8
OPERATIONS_PER_WORKER = 25
KEPT_USERS = (1, 2, 3)
MERGED_INTO = {11: 1, 12: 2}
TASKS = tuple(
    TaskId(f"python_chapter_{chapter:04d}_task_{task:04d}")
    for chapter in (10, 20)
    for task in (10, 20)
)


@define
class Ledger:
    """What the workers did, for the checks afterwards."""

    runs: int = 0
    solved: set[tuple[int, TaskId]] = field(factory=set)
    merged: set[int] = field(factory=set)
    guard: threading.Lock = field(factory=threading.Lock)
    old_user_locks: dict[int, threading.Lock] = field(
        factory=lambda: {user_id: threading.Lock() for user_id in MERGED_INTO}
    )

    def record_run(self, user_id: int, task_id: TaskId, solved: bool) -> None:
        with self.guard:
            self.runs += 1
            if solved:
                self.solved.add((user_id, task_id))


def test_concurrent_runs_saves_and_merges_lose_no_attempt_and_no_completion(
    seeded_postgres: Engine,
) -> None:
    ledger = Ledger()
    stop_watching = threading.Event()
    with ThreadPoolExecutor(max_workers=WORKERS + len(MERGED_INTO) + 1) as pool:
        watcher = pool.submit(_watch_completions_never_regress, seeded_postgres, stop_watching)
        jobs: list[Future[None]] = [
            pool.submit(_work, seeded_postgres, ledger, random.Random(seed))
            for seed in range(WORKERS)
        ]
        jobs += [
            pool.submit(_merge_later, seeded_postgres, ledger, old, cur, delay=0.05 + 0.1 * index)
            for index, (old, cur) in enumerate(MERGED_INTO.items())
        ]
        for job in jobs:
            job.result()
        stop_watching.set()
        watcher.result()

    with seeded_postgres.connect() as connection:
        attempts_counted = connection.execute(
            select(func.coalesce(func.sum(schema.task_progress.c.attempts_count), 0))
        ).scalar_one()
        attempts_logged = connection.execute(
            select(func.count()).select_from(schema.attempts)
        ).scalar_one()
        final = {
            user_id: progress_reads.user_progress(connection, user_id)
            for user_id in (*KEPT_USERS, *MERGED_INTO)
        }
    assert ledger.merged == set(MERGED_INTO)
    assert attempts_counted == attempts_logged == ledger.runs
    for user_id, task_id in ledger.solved:
        owner = MERGED_INTO.get(user_id, user_id)
        assert final[owner].tasks[task_id].status == Status.COMPLETED, (user_id, task_id)
    for old_user in MERGED_INTO:
        assert final[old_user].is_empty()


def _work(engine: Engine, ledger: Ledger, rng: random.Random) -> None:
    for _ in range(OPERATIONS_PER_WORKER):
        user_id = rng.choice((*KEPT_USERS, *MERGED_INTO))
        lock = ledger.old_user_locks.get(user_id)
        if lock is None:
            _operate(engine, ledger, rng, user_id)
            continue
        with lock:
            if user_id not in ledger.merged:
                _operate(engine, ledger, rng, user_id)
                continue
        _operate(engine, ledger, rng, MERGED_INTO[user_id])


def _operate(engine: Engine, ledger: Ledger, rng: random.Random, user_id: int) -> None:
    task_id = rng.choice(TASKS)
    code = f"code {rng.random()}"
    if rng.random() < 0.35:
        progress_writes.save_task(engine, user_id, task_id, code)
        return
    solved = rng.random() < 0.4
    result = RunResult(Verdict.PASSED if solved else Verdict.TESTS_FAILED)
    progress_writes.record_task_run(engine, user_id, task_id, code, result, now=NOW)
    ledger.record_run(user_id, task_id, solved)


def _merge_later(engine: Engine, ledger: Ledger, old: int, cur: int, *, delay: float) -> None:
    time.sleep(delay)
    with ledger.old_user_locks[old]:
        ledger.merged.add(old)
    merge_users(engine, cur, old, now=NOW)


def _watch_completions_never_regress(engine: Engine, stop: threading.Event) -> None:
    """Poll the surviving users: once an item is seen completed, it stays completed."""
    seen_completed: set[tuple[int, TaskId]] = set()
    while not stop.is_set():
        with engine.connect() as connection:
            for user_id in KEPT_USERS:
                tasks = progress_reads.user_progress(connection, user_id).tasks
                for task_id in [key for key in seen_completed if key[0] == user_id]:
                    assert tasks[task_id[1]].status == Status.COMPLETED, task_id
                seen_completed |= {
                    (user_id, task_id)
                    for task_id, item in tasks.items()
                    if item.status == Status.COMPLETED
                }
        time.sleep(0.01)
