"""Migrations 0006, 0010, 0012 and 0013 add default rules versions 3 (an explosion is
personal safety), 4 (the question guard), 5 (the guard reads more precautions) and 6
(emergencies in any category, breadth as patterns) to a store whose rules are still a
migration's seed, and leave an admin's own rules in force; 0010, 0012 and 0013 go again
on downgrade."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from services.triage.app import MIGRATIONS
from services.triage.models import ConfigVersion
from services.triage.rules.codec import ruleset_from_body
from services.triage.rules.default_data import default_rule_set_body
from services.triage.rules.engine import classify
from shared.database import create_engine
from shared.migrations import alembic_config, upgrade


async def _rule_versions(database_url: str) -> list[tuple[int, str, dict[str, object]]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.select(ConfigVersion.version, ConfigVersion.changed_by, ConfigVersion.body)
                .where(ConfigVersion.kind == "rules")
                .order_by(ConfigVersion.version)
            )
            return [(r.version, r.changed_by, r.body) for r in rows]
    finally:
        await engine.dispose()


async def test_a_seeded_store_gets_version_3_that_reads_an_explosion(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0005")
    assert [v for v, _, _ in await _rule_versions(database_url)] == [1, 2]
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0008")
    versions = await _rule_versions(database_url)
    assert [(v, by) for v, by, _ in versions] == [
        (1, "migration"),
        (2, "migration"),
        (3, "migration"),
    ]
    assert versions[-1][2] == default_rule_set_body(3)
    rules = ruleset_from_body(versions[-1][2], version=3)
    exploded = classify("", "电饭煲炸了,碎片飞了一地", ruleset=rules)
    assert (exploded.decided_by, exploded.priority) == ("fault.safety", "P0")
    # Version 2, what the store ran before, did not read it.
    before = classify("", "电饭煲炸了,碎片飞了一地", ruleset=ruleset_from_body(versions[1][2], 2))
    assert before.decided_by is None
    for mood in ("今天心态炸了", "炸鸡外卖送来是凉的", "炸酱面好吃吗"):
        assert classify("", mood, ruleset=rules).decided_by != "fault.safety", mood


async def test_a_seeded_store_gets_version_4_whose_guard_holds_questions_back(
    database_url: str,
) -> None:
    question = "电梯万一着火了有没有自动断电的功能,买之前问问"
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0009")
    assert [v for v, _, _ in await _rule_versions(database_url)] == [1, 2, 3]
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0011")
    versions = await _rule_versions(database_url)
    assert [(v, by) for v, by, _ in versions][-1] == (4, "migration")
    assert versions[-1][2] == default_rule_set_body(4)
    rules = ruleset_from_body(versions[-1][2], version=4)
    asked = classify("", question, ruleset=rules)
    assert asked.priority != "P0"
    assert asked.explanation[0].startswith("question guard: '万一'")
    happened = classify("", "刚才电梯着火了,有没有自动断电的功能", ruleset=rules)
    assert (happened.decided_by, happened.priority) == ("fault.safety", "P0")
    # Version 3, what the store ran before, read the question as a fire.
    before = classify("", question, ruleset=ruleset_from_body(versions[2][2], 3))
    assert (before.decided_by, before.priority) == ("fault.safety", "P0")
    await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, database_url), "0009")
    assert [v for v, _, _ in await _rule_versions(database_url)] == [1, 2, 3]
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0011")
    assert [v for v, _, _ in await _rule_versions(database_url)] == [1, 2, 3, 4]


async def test_a_seeded_store_gets_version_5_whose_guard_reads_more_precautions(
    database_url: str,
) -> None:
    suggestion = "提个建议,电暖器的燃气泄漏报警声音能不能再大一点"
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0012")
    versions = await _rule_versions(database_url)
    assert [(v, by) for v, by, _ in versions][-2:] == [(4, "migration"), (5, "migration")]
    assert versions[-1][2] == default_rule_set_body(5)
    rules = ruleset_from_body(versions[-1][2], version=5)
    for precaution in (
        suggestion,
        "家里装了燃气灶,想知道多久要检查一次,怕以后漏气都不知道",
        "给老人开的账户能不能限制每天转账的额度,防止被骗",
    ):
        held = classify("", precaution, ruleset=rules)
        assert held.priority != "P0", held.explanation
        assert held.explanation[0].startswith("question guard:"), held.explanation
    happened = classify("", "提个建议,刚才燃气泄漏报警响了,一股煤气味", ruleset=rules)
    assert (happened.decided_by, happened.priority) == ("fault.safety", "P0")
    # Version 4, what the store ran before, read the suggestion as a gas leak.
    before = classify("", suggestion, ruleset=ruleset_from_body(versions[-2][2], 4))
    assert (before.decided_by, before.priority) == ("fault.safety", "P0")
    await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, database_url), "0011")
    assert [v for v, _, _ in await _rule_versions(database_url)] == [1, 2, 3, 4]


async def test_a_seeded_store_gets_version_6_that_reads_an_emergency_in_any_category(
    database_url: str,
) -> None:
    harmed = "护士拿错了药,现在孩子身上起了一片疹子,你们必须给个交代"
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    versions = await _rule_versions(database_url)
    assert [(v, by) for v, by, _ in versions][-2:] == [(5, "migration"), (6, "migration")]
    assert versions[-1][2] == default_rule_set_body(6)
    rules = ruleset_from_body(versions[-1][2], version=6)
    # No rule decides it: the default, an inquiry, lifted by the emergency it says.
    said = classify("", harmed, ruleset=rules)
    assert said.priority == "P0", said.explanation
    assert classify("", "万一孩子吃了起疹子怎么办", ruleset=rules).priority != "P0"
    # Version 5, what the store ran before, left it at the default.
    before = classify("", harmed, ruleset=ruleset_from_body(versions[-2][2], 5))
    assert before.priority == "P2"
    await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, database_url), "0012")
    assert [v for v, _, _ in await _rule_versions(database_url)][-1] == 5


async def test_an_admins_rules_stay_in_force(database_url: str) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url, "0005")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.insert(ConfigVersion).values(
                    kind="rules",
                    version=3,
                    body=default_rule_set_body(2),
                    note="our own",
                    changed_by="admin-1",
                    created_at=datetime.now(UTC),
                )
            )
    finally:
        await engine.dispose()
    await asyncio.to_thread(upgrade, MIGRATIONS, database_url)
    assert [(v, by) for v, by, _ in await _rule_versions(database_url)][-1] == (3, "admin-1")
