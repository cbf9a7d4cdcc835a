"""merge_users and split_users as the course site calls them: no Authorization header, from its
private network (HANDYMAN_ADMIN_NETWORKS). The peer address is the WSGI REMOTE_ADDR."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handyman_http.settings import Settings
from handyman_http.trusted_networks import TrustedNetworks
from tests.http.conftest import ADMIN_TOKEN, CHAPTER_1, TASKS, Api, database_rows, solve_task

SITE_NETWORKS = TrustedNetworks.parse("127.0.0.0/8 10.0.0.0/8 ::1/128")
SITE_HOST = "10.0.0.7"
ELSEWHERE = "203.0.113.9"
SITE_ACCOUNT, BOT_ACCOUNT, UNLINKED = 2, 4, 6
TASK = TASKS[CHAPTER_1][0]
LINK = {"cur_user_id": BOT_ACCOUNT, "old_user_id": SITE_ACCOUNT, "new_user_id": 0}
"""communications.sync_tg_bot: the bot's account takes over the site account's progress."""
UNLINK = {"cur_user_id": BOT_ACCOUNT, "new_user_id": UNLINKED}
"""communications.delete_tg_bot_link_for_user: the site has already moved the login to 6."""

MakeApi = Callable[[Settings], Api]


@pytest.fixture
def site_api(make_api: MakeApi) -> Api:
    """The site's set-up: no API token, no admin token, the site's network trusted."""
    return make_api(Settings(admin_networks=SITE_NETWORKS))


def task_status(api: Api, user_id: int) -> str:
    status: str = api.post("/get_task", {"task_id": TASK}, user_id=user_id).json["status"]
    return status


def test_the_sites_link_request_from_its_network_merges_the_progress(site_api: Api) -> None:
    solve_task(site_api, SITE_ACCOUNT, TASK)
    response = site_api.post("/merge_users", LINK, remote_addr=SITE_HOST)
    assert (response.status_code, response.json) == (200, {"status": 0})
    assert task_status(site_api, BOT_ACCOUNT) == "completed"
    assert task_status(site_api, SITE_ACCOUNT) == "not_started"


def test_the_sites_unlink_request_from_its_network_copies_the_progress(site_api: Api) -> None:
    solve_task(site_api, BOT_ACCOUNT, TASK)
    response = site_api.post("/split_users", UNLINK, remote_addr=SITE_HOST)
    assert (response.status_code, response.json) == (200, {"status": 0})
    assert task_status(site_api, UNLINKED) == "completed"
    assert task_status(site_api, BOT_ACCOUNT) == "completed"


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", "::ffff:10.1.2.3"])
def test_every_configured_network_is_trusted_over_ipv4_and_ipv6(site_api: Api, peer: str) -> None:
    solve_task(site_api, BOT_ACCOUNT, TASK)
    assert site_api.post("/split_users", UNLINK, remote_addr=peer).json == {"status": 0}


@pytest.mark.parametrize(("path", "body"), [("/merge_users", LINK), ("/split_users", UNLINK)])
def test_from_elsewhere_without_a_token_the_request_is_forbidden_and_writes_nothing(
    site_api: Api, path: str, body: dict[str, int]
) -> None:
    solve_task(site_api, SITE_ACCOUNT, TASK)
    solve_task(site_api, BOT_ACCOUNT, TASK)
    before = database_rows(site_api.engine)
    response = site_api.post(path, body, remote_addr=ELSEWHERE)
    assert response.status_code == 403
    assert response.json["status"] == -1
    assert database_rows(site_api.engine) == before


@pytest.mark.parametrize(
    "header",
    [
        {"X-Forwarded-For": SITE_HOST},
        {"X-Real-IP": SITE_HOST},
        {"Forwarded": f"for={SITE_HOST}"},
    ],
)
def test_a_forwarding_header_does_not_make_a_caller_trusted(
    site_api: Api, header: dict[str, str]
) -> None:
    solve_task(site_api, SITE_ACCOUNT, TASK)
    before = database_rows(site_api.engine)
    response = site_api.post("/merge_users", LINK, remote_addr=ELSEWHERE, headers=header)
    assert response.status_code == 403
    assert database_rows(site_api.engine) == before


def test_without_a_peer_address_nobody_is_trusted(site_api: Api) -> None:
    """Falcon's `req.remote_addr` would read 127.0.0.1 here; the check must not."""
    response = site_api.post("/merge_users", LINK)
    assert response.status_code == 403


@pytest.mark.parametrize("authorization", ["Bearer not-the-token", "Basic c2l0ZTpzaXRl", "Bearer"])
def test_a_wrong_credential_is_refused_even_from_a_trusted_network(
    make_api: MakeApi, authorization: str
) -> None:
    api = make_api(Settings(admin_token=ADMIN_TOKEN, admin_networks=SITE_NETWORKS))
    solve_task(api, SITE_ACCOUNT, TASK)
    before = database_rows(api.engine)
    response = api.post(
        "/merge_users", LINK, remote_addr=SITE_HOST, headers={"Authorization": authorization}
    )
    assert response.status_code == 403
    assert response.json["error"] == "The admin token is not valid"
    assert database_rows(api.engine) == before


def test_the_admin_token_still_works_from_anywhere(make_api: MakeApi) -> None:
    api = make_api(Settings(admin_token=ADMIN_TOKEN, admin_networks=SITE_NETWORKS))
    solve_task(api, BOT_ACCOUNT, TASK)
    assert api.post("/split_users", UNLINK, admin=True, remote_addr=ELSEWHERE).json == {"status": 0}


def test_a_trusted_network_does_not_replace_the_api_token(make_api: MakeApi) -> None:
    """A site that sends no token needs HANDYMAN_API_TOKEN unset."""
    api = make_api(Settings(api_token="api-token", admin_networks=SITE_NETWORKS))
    response = api.post("/merge_users", LINK, remote_addr=SITE_HOST)
    assert response.status_code == 401


def test_a_trusted_caller_with_the_api_token_may_merge(make_api: MakeApi) -> None:
    api = make_api(Settings(api_token="api-token", admin_networks=SITE_NETWORKS))
    response = api.post(
        "/merge_users",
        LINK,
        remote_addr=SITE_HOST,
        headers={"Authorization": "Bearer api-token"},
    )
    assert response.json == {"status": 0}


def test_with_neither_token_nor_networks_the_endpoints_are_disabled(make_api: MakeApi) -> None:
    api = make_api(Settings())
    response = api.post("/merge_users", LINK, remote_addr="127.0.0.1")
    assert response.status_code == 403
    assert "HANDYMAN_ADMIN_NETWORKS" in response.json["error"]


def test_a_trusted_caller_may_start_a_run_for_nobody_as_the_admin_can(site_api: Api) -> None:
    """Runs of other users are internal too (contract: admin token or admin network)."""
    script = {"language": "python", "source": "print(1)"}
    assert site_api.post("/api/v1/runs", script, remote_addr=SITE_HOST).status_code == 201
    assert site_api.post("/api/v1/runs", script, remote_addr=ELSEWHERE).status_code == 400
