"""merge_users and split_users: all-or-nothing, by the store's set-based `core.merge_rules`;
explicit segment memberships travel with the progress in the same transaction."""

from __future__ import annotations

from attrs import frozen

from handyman_service.context import ServiceContext


@frozen
class MergeUsers:
    """Fold `old_user_id`'s progress into `cur_user_id`'s and remove the old account's rows."""

    cur_user_id: int
    old_user_id: int


def merge_users(context: ServiceContext, command: MergeUsers) -> None:
    context.progress.merge_users(command.cur_user_id, command.old_user_id, now=context.clock())


@frozen
class SplitUsers:
    """Copy `cur_user_id`'s progress to `new_user_id`, who must have none (Conflict)."""

    cur_user_id: int
    new_user_id: int


def split_users(context: ServiceContext, command: SplitUsers) -> None:
    context.progress.split_users(command.cur_user_id, command.new_user_id, now=context.clock())
