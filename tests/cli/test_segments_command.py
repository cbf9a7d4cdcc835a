"""`handyman segments expire` logs the end of expired memberships once, whenever it runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handyman_cli.main import main
from handyman_core.instants import format_instant
from handyman_core.segment_changes import read_change
from handyman_core.segment_history import Operation
from handyman_core.segment_report import ReportPeriod
from handyman_core.segments import NewSegment, SegmentName
from handyman_store.database import DatabaseUrl, create_engine
from handyman_store.migrate import upgrade
from handyman_store.store import Store

PAST = datetime(2020, 1, 1, tzinfo=UTC)


def test_expire_logs_each_expired_membership_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = DatabaseUrl.sqlite_file(tmp_path / "handyman.sqlite3")
    engine = create_engine(url)
    upgrade(engine)
    store = Store(engine)
    store.create_segment(NewSegment(SegmentName("BETA")), salt="s", now=PAST)
    ends = PAST + timedelta(days=1)
    body = {"add": [{"name": "BETA", "expires_at": format_instant(ends)}]}
    store.change_memberships(5, read_change(body), now=PAST)

    assert main(["segments", "expire", "--database-url", str(url)]) == 0
    assert "1 expired segment memberships logged" in capsys.readouterr().err
    assert main(["segments", "expire", "--database-url", str(url)]) == 0
    assert "0 expired segment memberships logged" in capsys.readouterr().err

    period = ReportPeriod(PAST, PAST + timedelta(days=30))
    rows = [(row.user_id, row.operation) for row in store.segment_history(period, ends)]
    assert rows == [(5, Operation.ADDED), (5, Operation.EXPIRED)]
    engine.dispose()
