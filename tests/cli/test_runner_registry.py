"""Runners by name: one mapping, and an unknown name stops the start instead of falling back."""

from __future__ import annotations

import pytest

from handyman_cli.run_admission import RUNS_PER_WORKER_VARIABLE
from handyman_cli.runner_registry import (
    DEFAULT_RUNNER,
    RUNNER_VARIABLE,
    RUNNERS,
    WATCHMAN_URLS_VARIABLE,
    UnknownRunner,
    check_runner_settings,
    runner_from_environment,
)
from handyman_runner.remote import RemoteRunner


def test_the_registry_names_local_remote_and_none_with_local_the_default() -> None:
    assert set(RUNNERS) == {"local", "remote", "none"}
    assert DEFAULT_RUNNER == "local"


@pytest.mark.parametrize("name", ["docker", "Local", "local ", "sandbox"])
def test_an_unknown_runner_name_is_an_error_naming_the_choices(name: str) -> None:
    environ = {RUNNER_VARIABLE: name}
    with pytest.raises(UnknownRunner) as refused:
        runner_from_environment(environ)
    assert str(refused.value) == (
        f"{RUNNER_VARIABLE} must be one of local, remote, none, not {name!r}"
    )
    with pytest.raises(ValueError):
        check_runner_settings(environ)


def test_none_gives_no_runner() -> None:
    assert runner_from_environment({RUNNER_VARIABLE: "none"}) is None


def test_remote_builds_the_client_for_the_configured_hosts() -> None:
    environ = {RUNNER_VARIABLE: "remote", WATCHMAN_URLS_VARIABLE: "http://127.0.0.1:9"}
    check_runner_settings(environ)
    runner = runner_from_environment(environ)
    assert isinstance(runner, RemoteRunner)
    runner.close()


@pytest.mark.parametrize(("runs_per_worker", "pool_size"), [("4", 16), ("40", 40)])
def test_the_remote_client_keeps_a_connection_for_every_run_a_worker_admits(
    runs_per_worker: str, pool_size: int
) -> None:
    environ = {
        RUNNER_VARIABLE: "remote",
        WATCHMAN_URLS_VARIABLE: "http://127.0.0.1:9",
        RUNS_PER_WORKER_VARIABLE: runs_per_worker,
    }
    runner = runner_from_environment(environ)
    assert isinstance(runner, RemoteRunner)
    assert runner.pool_size == pool_size
    runner.close()


def test_remote_without_hosts_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError):
        check_runner_settings({RUNNER_VARIABLE: "remote"})
