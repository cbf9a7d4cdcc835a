"""merge_users and split_users: internal, admin-only, all-or-nothing (contract §4)."""

from __future__ import annotations

from typing import Any, ClassVar

import falcon
from attrs import define

from handyman_http.endpoints.base import Endpoint


@define
class AccountPair:
    cur_user_id: int = 0
    old_user_id: int = 0
    new_user_id: int = 0


class MergeUsers(Endpoint):
    admin_only = True
    failure_extras: ClassVar[dict[str, Any]] = {"status": -1}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body, _, _ = self.parse_for_visitor(req, AccountPair)
        self.services.store.merge_users(body.cur_user_id, body.old_user_id)
        resp.media = {"status": 0}


class SplitUsers(Endpoint):
    admin_only = True
    failure_extras: ClassVar[dict[str, Any]] = {"status": -1}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body, _, _ = self.parse_for_visitor(req, AccountPair)
        self.services.store.split_users(body.cur_user_id, body.new_user_id)
        resp.media = {"status": 0}
