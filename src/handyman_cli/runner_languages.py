"""`handyman runner languages`: what this host's sandbox can run, and why not; `handyman runner
prepare`: build the languages' read-only artefacts now."""

from __future__ import annotations

import argparse
import json
import sys

from attrs import evolve

from handyman_runner.language_report import host_languages
from handyman_runner.local import LocalSandboxRunner, SandboxUnavailable
from handyman_runner.sandbox_config import SandboxConfig


def runner_languages(args: argparse.Namespace) -> int:
    statuses = host_languages(SandboxConfig())
    if args.json:
        print(json.dumps([status.as_json() for status in statuses], indent=2))
        return 0
    width = max(len(status.discovery.language.value) for status in statuses)
    for status in statuses:
        discovery = status.discovery
        state = "available  " if discovery.available else "unavailable"
        print(f"{discovery.language.value:<{width}}  {state}  {discovery.detail}")
        if discovery.available:
            print(f"{'':<{width}}  {'':<11}  artefacts: {status.artefacts}")
        for note in discovery.notes:
            print(f"{'':<{width}}  {'':<11}  note: {note}")
    return 0


def runner_prepare(args: argparse.Namespace) -> int:
    config = evolve(SandboxConfig(), prepare_in_background=False, queue_timeout=0.0)
    if args.bwrap is not None:
        config = evolve(config, bwrap_path=args.bwrap)
    try:
        runner = LocalSandboxRunner(config)
    except SandboxUnavailable as error:
        print(f"handyman: the sandbox cannot run code on this host: {error}", file=sys.stderr)
        return 1
    failed = False
    for language, problem in runner.prepare_artefacts().items():
        if problem is None:
            print(f"{language.value}: ready")
        else:
            failed = True
            print(f"{language.value}: building failed\n{problem}", file=sys.stderr)
    return 1 if failed else 0
