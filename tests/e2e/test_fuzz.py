"""A bounded schemathesis run over all five services on PostgreSQL, NUL characters and
boundary values included: no request may get a 5xx (issue 16). About 25 s per service;
`schemathesis run` by hand with a larger --max-time digs deeper (README, Security)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from testkit import POSTGRES_SERVER, drop_database, free_port, free_port_block

from sopdesk.catalogue import SERVICE_NAMES
from sopdesk.local import LocalSystem

pytestmark = pytest.mark.e2e

ADMIN_KEY = "sd_admin_fuzzing-key-0123456789"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def postgres_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    prefix = f"sopdesk_fuzz_{uuid.uuid4().hex[:6]}"
    system = LocalSystem(
        data_dir=tmp_path_factory.mktemp("fuzz"),
        host="127.0.0.1",
        base_port=free_port_block(5),
        broker_port=free_port(),
        api_keys={ADMIN_KEY: "admin"},
        demo=True,
        console=Console(quiet=True),
        database_url=f"{POSTGRES_SERVER}/{prefix}_{{service}}",
    )
    try:
        system.start()
        yield system
    finally:
        system.stop()
        for name in SERVICE_NAMES:
            asyncio.run(drop_database(POSTGRES_SERVER, f"{prefix}_{name}"))


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_no_input_gets_a_server_error(postgres_system: LocalSystem, service: str) -> None:
    url = postgres_system.urls()[service]
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--no-color",
            "run",
            f"{url}/openapi.json",
            "--header",
            f"Authorization: Bearer {ADMIN_KEY}",
            "--checks",
            "not_a_server_error",
            "--generation-allow-x00",
            "true",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "10",
            "--max-time",
            "25",
            "--seed",
            "16",
            "--request-timeout",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
