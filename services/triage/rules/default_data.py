"""The default rule sets as data (``services/triage/data/default_rules.json``): the one copy
that the code's defaults and the migrations that seed them (0002, 0004) read."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_RULES_FILE = Path(__file__).resolve().parents[1] / "data" / "default_rules.json"


@cache
def _versions() -> dict[int, dict[str, Any]]:
    data = json.loads(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))
    return {int(entry["version"]): entry["body"] for entry in data["versions"]}


def default_rule_set_body(version: int | None = None) -> dict[str, Any]:
    """The body (``rules`` and ``modifiers``) of a seeded version; the newest by default.

    A fresh copy each time: a migration or a caller may not change the shared one."""
    versions = _versions()
    chosen = versions[max(versions) if version is None else version]
    copied: dict[str, Any] = json.loads(json.dumps(chosen))
    return copied
