"""`handyman clients add|list|remove`: who may read the statistics API.

A new client's key is printed once, on stdout alone so that it can be captured
(`KEY=$(handyman clients add uni)`); only its hash is stored, so a lost key is replaced by
removing the client and adding it again.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from handyman_cli.database_choice import resolve_database_url
from handyman_core.client_keys import (
    KEY_BYTES,
    check_client_name,
    check_consumer_key,
    hash_client_key,
    new_client_key,
)
from handyman_store.database import create_engine, read_connection
from handyman_store.schema_version import upgrade_if_behind
from handyman_store.statistics_clients import add_client, list_clients, remove_client

errors_console = Console(stderr=True)


def add_client_command(args: argparse.Namespace) -> int:
    name = check_client_name(args.name)
    consumer_keys = [check_consumer_key(key) for key in args.consumer_key]
    key = new_client_key(secrets.token_bytes(KEY_BYTES))
    engine = create_engine(resolve_database_url(args.database_url))
    try:
        upgrade_if_behind(engine)
        add_client(engine, name, hash_client_key(key), consumer_keys, now=datetime.now(UTC))
    finally:
        engine.dispose()
    scope = ", ".join(consumer_keys) if consumer_keys else "every attempt"
    errors_console.print(
        f"client {name!r} added; it sees: {scope}. Its key (shown only now):", highlight=False
    )
    print(key)
    return 0


def list_clients_command(args: argparse.Namespace) -> int:
    engine = create_engine(resolve_database_url(args.database_url))
    try:
        upgrade_if_behind(engine)
        with read_connection(engine) as connection:
            clients = list_clients(connection)
    finally:
        engine.dispose()
    table = Table(title="Statistics API clients")
    for column in ("name", "consumer keys", "added"):
        table.add_column(column)
    for client in clients:
        table.add_row(
            client.name,
            ", ".join(client.consumer_keys) or "(every attempt)",
            client.created_at.isoformat(timespec="seconds"),
        )
    Console().print(table)
    return 0


def remove_client_command(args: argparse.Namespace) -> int:
    engine = create_engine(resolve_database_url(args.database_url))
    try:
        upgrade_if_behind(engine)
        removed = remove_client(engine, args.name)
    finally:
        engine.dispose()
    if not removed:
        print(f"handyman: no statistics client named {args.name!r}", file=sys.stderr)
        return 1
    print(f"client {args.name!r} removed", file=sys.stderr)
    return 0
