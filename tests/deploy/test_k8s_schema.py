"""The Kubernetes manifests validate against the Kubernetes API schema
(kubernetes-validate, strict: an unknown or misspelt field fails)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES_VERSION = "1.31.0"


def test_manifests_validate_against_the_kubernetes_schema() -> None:
    manifests = sorted(str(p) for p in (ROOT / "deploy" / "k8s").glob("*.yaml"))
    assert len(manifests) >= 8
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("kubernetes-validate")),
            "--strict",
            "--kubernetes-version",
            KUBERNETES_VERSION,
            *manifests,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout
