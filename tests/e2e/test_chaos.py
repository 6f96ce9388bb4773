"""Chaos, the short fault run (issue 15): two replicas of every service on PostgreSQL,
gateways, agents and customers working the whole time, a SIGKILL of a replica of every
service (intake included), a broker restart with `sopdesk topics` and `replay`, the
PostgreSQL backends terminated and a consumer paused past its session timeout; then
every effect is counted (`sopdesk chaos` is the long run, ≥ 20 kills per service)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.console import Console
from testkit import free_port, free_port_block

from sopdesk.catalogue import SERVICE_NAMES
from sopdesk.chaos import FaultRun, Plan

pytestmark = pytest.mark.e2e

POSTGRES = os.environ.get("SOPDESK_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432")


def test_short_fault_run_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    run = FaultRun(
        Plan.short(),
        data_dir=tmp_path,
        base_port=free_port_block(10),
        broker_port=free_port(),
        postgres=POSTGRES,
        console=Console(quiet=True),
    )
    checks = run.run()
    summary = run.summary(checks)

    assert summary["faults"]["kills"] == {name: 1 for name in SERVICE_NAMES}
    assert summary["faults"]["broker_restarts"] == 1
    assert summary["faults"]["database_cuts"] == 1
    assert summary["faults"]["pauses"] == 1
    assert summary["tickets"] >= 20
    assert summary["gateway_gave_up"] == 0
    failed = [(c.name, c.lost, c.doubled, c.examples) for c in checks if c.lost or c.doubled]
    assert failed == []
    # Each effect was there to be checked, not vacuously true.
    empty = [c.name for c in checks if c.checked == 0]
    assert empty == []
