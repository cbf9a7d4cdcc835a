"""Embedding Handyman's core in another program: the rules are plain functions over plain values.

Run: `python examples/embedding_core.py`. No database, no HTTP, no sandbox: a learner's progress
is a value, a run's outcome is applied to it, and two accounts are merged, all in memory.
"""

from __future__ import annotations

from handyman_core.ids import TaskId
from handyman_core.merge_rules import merge_users
from handyman_core.progress import UserProgress
from handyman_core.run_rules import run_on_user
from handyman_core.transitions import decide_chapter_update

TASK = TaskId("pythonstart_chapter_0010_task_0010")


def main() -> None:
    learner = UserProgress()
    learner = run_on_user(learner, TASK, solved=False, code="area = 0")
    learner = run_on_user(learner, TASK, solved=True, code="area = 7 * 6")
    learner = run_on_user(learner, TASK, solved=False, code="area = 'oops'")
    print("after three runs:", learner.tasks[TASK])

    telegram_account = run_on_user(UserProgress(), TASK, solved=False, code="area = 1")
    merged = merge_users(old=telegram_account, cur=learner)
    print("after merging a second account:", merged.tasks[TASK])

    decision = decide_chapter_update(None, "completed", all_tasks_completed=True)
    print("completing the chapter:", decision)


if __name__ == "__main__":
    main()
