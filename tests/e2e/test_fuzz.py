"""All five services on PostgreSQL get no 5xx (issue 16): a bounded schemathesis run
(NUL characters and boundary values allowed, about 25 s per service; `schemathesis run`
by hand with a larger --max-time digs deeper, see the README's Security section), and a
deterministic sweep putting a NUL in every path, query and example-body string of every
operation (the fuzzer alone does not reliably reach a text column with one)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
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


def _example_body(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return None
    schema = content.get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for example in (content.get("example"), *schema.get("examples", [])):
        if isinstance(example, dict) and example:
            return example
    return None


def _nul_variants(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The example with a NUL in one string (top level or one level down) at a time."""
    for key, value in body.items():
        if isinstance(value, str):
            yield {**body, key: value[:1] + "\x00" + value[1:]}
        elif isinstance(value, dict):
            for inner, item in value.items():
                if isinstance(item, str):
                    yield {**body, key: {**value, inner: item[:1] + "\x00" + item[1:]}}


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_nul_in_any_string_of_any_operation_is_refused(
    postgres_system: LocalSystem, service: str
) -> None:
    """Deterministic, where the fuzzer is not: every operation, a NUL in each path and
    query string and in each string of its documented example body."""
    url = postgres_system.urls()[service]
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    # Generous: the machine is shared, and a slow answer is not what this test is about.
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        spec = client.get("/openapi.json").json()
        tried = 0
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                params = operation.get("parameters", [])
                concrete = re.sub(r"\{[^}]+\}", "a%00b", path)  # a NUL, percent-encoded
                query = {p["name"]: "a\x00b" for p in params if p["in"] == "query"}
                requests: list[tuple[str, dict[str, str], dict[str, Any] | None]] = [
                    (concrete, {}, None),
                    (re.sub(r"\{[^}]+\}", "x", path), query, None),
                ]
                body = _example_body(spec, operation)
                if body is not None:
                    real = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000001", path)
                    requests += [(real, {}, variant) for variant in _nul_variants(body)]
                for target, params_, json_body in requests:
                    response = client.request(method, target, params=params_, json=json_body)
                    tried += 1
                    assert response.status_code < 500, (method, target, json_body, response.text)
        assert tried > 10
