"""merge_users and split_users: internal, admin-only, all-or-nothing (docs/behaviour.md)."""

from __future__ import annotations

from typing import Any, ClassVar

import falcon
from attrs import define

from handyman_http.endpoints.base import Endpoint
from handyman_http.legacy_request import optional_user
from handyman_http.request_check import Checked, RequestCheck
from handyman_service import accounts


@define
class AccountPair:
    cur_user_id: int = 0
    old_user_id: int = 0
    new_user_id: int = 0


class _AccountsEndpoint(Endpoint):
    admin_only = True
    failure_extras: ClassVar[dict[str, Any]] = {"status": -1}

    def pair(self, req: falcon.Request) -> AccountPair:
        """The ids are checked by the rule itself (`core.merge_rules`), inside the use case."""
        check = RequestCheck()
        pair: Checked[AccountPair] = check.take(self.body, req, AccountPair)
        check.take(optional_user, req)
        check.done()
        return pair.value


class MergeUsers(_AccountsEndpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        pair = self.pair(req)
        accounts.merge_users(self.context, accounts.MergeUsers(pair.cur_user_id, pair.old_user_id))
        resp.media = {"status": 0}


class SplitUsers(_AccountsEndpoint):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        pair = self.pair(req)
        accounts.split_users(self.context, accounts.SplitUsers(pair.cur_user_id, pair.new_user_id))
        resp.media = {"status": 0}
