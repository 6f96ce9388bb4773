"""Chaos: the short form of the fault run (issue 15, ``sopdesk chaos --short``).

SPEC §6: killing any service with SIGKILL at any moment and starting it again
loses no ticket and duplicates no effect. Two replicas of every service run on
fresh PostgreSQL databases; gateways, agents (signed in as the assigned demo
agent) and customers work the whole time while every service is SIGKILLed, the
broker restarted (then ``sopdesk topics`` and ``replay``), the PostgreSQL backends
terminated and a replica paused past its session timeout. Then every effect is
counted (sopdesk/chaos_audit.py): nothing may be lost or doubled.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from rich.console import Console
from testkit import POSTGRES_SERVER, free_port, free_port_block

from sopdesk.catalogue import SERVICE_NAMES
from sopdesk.chaos import FaultRun, Plan, report

pytestmark = pytest.mark.e2e


def test_short_fault_run_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    # The run's own clients see the broker restart; their reconnect chatter is noise.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    plan = Plan.short()
    run = FaultRun(
        plan,
        data_dir=tmp_path,
        base_port=free_port_block(2 * len(SERVICE_NAMES)),
        broker_port=free_port(),
        postgres=POSTGRES_SERVER,
        console=Console(quiet=True),
    )
    checks = run.run()
    # The table the command prints (shown by pytest when the test fails).
    report(Console(width=120), run, checks)
    summary = run.summary(checks)
    faults = summary["faults"]

    # The faults were injected, not only planned.
    assert {s: faults["kills"].get(s, 0) for s in SERVICE_NAMES} == {
        s: plan.kills_per_service for s in SERVICE_NAMES
    }
    assert faults["broker_restarts"] == plan.broker_restarts >= 1
    assert faults["database_cuts"] == plan.database_cuts >= 1
    assert faults["pauses"] == plan.pauses >= 1
    assert summary["tickets"] >= 20 and summary["gateway_gave_up"] == 0

    # Every kind of effect was met at least once, so each check checked something.
    unchecked = [c.name for c in checks if c.checked == 0]
    assert not unchecked, f"checks that saw nothing: {unchecked}"
    problems = {c.name: (c.lost, c.doubled, c.examples) for c in checks if c.lost or c.doubled}
    assert summary["lost"] == 0 and summary["doubled"] == 0, problems
