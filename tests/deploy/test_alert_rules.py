"""The alert rules load and behave as their unit tests say, checked by promtool itself
(Debian's prometheus package; `make test` installs it when missing)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

MONITORING = Path(__file__).resolve().parents[2] / "deploy" / "monitoring"


def _promtool(*args: str) -> str:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run scripts/ensure-promtool.sh"
    result = subprocess.run(
        [promtool, *args], cwd=MONITORING, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_alert_rules_are_valid() -> None:
    assert "SUCCESS" in _promtool("check", "rules", "alerts.yaml")


def test_alerts_fire_on_the_first_dead_letter_and_when_gauges_go_stale() -> None:
    assert "SUCCESS" in _promtool("test", "rules", "alerts.test.yaml")
