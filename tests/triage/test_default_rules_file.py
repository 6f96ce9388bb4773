"""The default rules are one data file that the code and the migrations read."""

from __future__ import annotations

import json
from pathlib import Path

import services.triage
from services.triage.rules.codec import ruleset_to_body
from services.triage.rules.default_data import DEFAULT_RULES_FILE, default_rule_set_body
from services.triage.rules.defaults import DEFAULT_RULESET
from services.triage.rules.model import SPEC_TEAM_KEYS, PriorityModifiers
from services.triage.rules.validation import validate_ruleset

MIGRATIONS = Path(services.triage.__file__).parent / "migrations" / "versions"


def test_the_code_runs_the_newest_version_of_the_file() -> None:
    assert ruleset_to_body(DEFAULT_RULESET) == default_rule_set_body()
    assert PriorityModifiers() == DEFAULT_RULESET.modifiers
    validate_ruleset(DEFAULT_RULESET.rules, SPEC_TEAM_KEYS)


def test_every_version_names_the_migration_that_seeds_it() -> None:
    data = json.loads(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))
    numbers = [entry["version"] for entry in data["versions"]]
    assert numbers == list(range(1, len(numbers) + 1))
    seeding = {
        path.name.split("_")[0]: path.read_text(encoding="utf-8")
        for path in MIGRATIONS.glob("*.py")
    }
    for entry in data["versions"]:
        migration = seeding[entry["seeded_by"]]
        assert f"default_rule_set_body({entry['version']})" in migration, entry
        assert default_rule_set_body(entry["version"])["rules"], entry


def test_a_caller_cannot_change_the_file_copy() -> None:
    body = default_rule_set_body(1)
    body["rules"].clear()
    assert default_rule_set_body(1)["rules"]
