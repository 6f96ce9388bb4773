"""The whole system as `sopdesk up` runs it (broker, five services, workspace), once per
test module."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from testkit import free_port, free_port_block, wait_until_up
from workspace_support import SERVICES, WorkspaceSystem


@pytest.fixture(scope="module")
def workspace_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkspaceSystem]:
    """`sopdesk up` on free ports, until every service and the workspace are ready."""
    data_dir = tmp_path_factory.mktemp("sopdesk-up")
    base = free_port_block(len(SERVICES))
    broker_port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sopdesk",
            "up",
            "--data-dir",
            str(data_dir),
            "--base-port",
            str(base),
            "--broker-port",
            str(broker_port),
            "--smtp-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    urls = {name: f"http://127.0.0.1:{base + i}" for i, name in enumerate(SERVICES)}

    try:
        wait_until_up(process, urls.values())
        saved = json.loads((data_dir / "api-keys.json").read_text())
        password = json.loads((data_dir / "secrets.json").read_text())["demo_password"]
        yield WorkspaceSystem(
            process,
            urls,
            {role: key for key, role in saved.items()},
            data_dir,
            f"127.0.0.1:{broker_port}",
            password,
        )
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
