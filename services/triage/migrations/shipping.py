"""What a triage migration ships: a default rule-set version or a classifier model
version, stored as the newest version in force only where a migration's own still is
(an admin's rules and a model trained from supervisors' corrections stay in force).

The version files (``versions/00NN_*.py``) say what they ship and when it is in force;
these steps are how it is stored. Alembic never runs an applied revision again, so a
change here reaches only stores that have not run that revision yet: storing another
way is a new function, not an edit of one a revision already calls.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from shared.database import UtcDateTime

# ``changed_by`` of every version a migration stored.
MIGRATION = "migration"


def config_versions() -> sa.TableClause:
    """``triage_config_versions`` as migrations write it (rules, SLA, calendars)."""
    return sa.table(
        "triage_config_versions",
        sa.column("kind", sa.String),
        sa.column("version", sa.Integer),
        sa.column("body", sa.JSON),
        sa.column("note", sa.String),
        sa.column("changed_by", sa.String),
        sa.column("created_at", UtcDateTime),
    )


def model_versions() -> sa.TableClause:
    """``triage_model_versions`` as migrations write it."""
    return sa.table(
        "triage_model_versions",
        sa.column("version", sa.Integer),
        sa.column("body", sa.LargeBinary),
        sa.column("metrics", sa.JSON),
        sa.column("examples", sa.Integer),
        sa.column("corrections", sa.Integer),
        sa.column("active", sa.Boolean),
        sa.column("note", sa.String),
        sa.column("changed_by", sa.String),
        sa.column("created_at", UtcDateTime),
    )


def newest_rules() -> sa.Row[int, str] | None:
    """The newest rule-set version's row (``version``, ``changed_by``), None if none."""
    versions = config_versions()
    return (
        op.get_bind()
        .execute(
            sa.select(versions.c.version, versions.c.changed_by)
            .where(versions.c.kind == "rules")
            .order_by(versions.c.version.desc())
            .limit(1)
        )
        .first()
    )


def store_rules(body: dict[str, Any], note: str, newest: sa.Row[int, str] | None) -> None:
    """Store ``body`` as the rule-set version after ``newest`` (see :func:`newest_rules`)."""
    op.bulk_insert(
        config_versions(),
        [
            {
                "kind": "rules",
                "version": (newest.version if newest else 0) + 1,
                "body": body,
                "note": note,
                "changed_by": MIGRATION,
                "created_at": datetime.now(UTC),
            }
        ],
    )


def ship_rules(body: dict[str, Any], note: str) -> None:
    """Store ``body`` as the newest rule-set version where the rules in force are still a
    migration's seed."""
    newest = newest_rules()
    if newest is not None and newest.changed_by != MIGRATION:
        return  # an admin has changed the rules: theirs stay in force
    store_rules(body, note, newest)


def unship_rules(note: str) -> None:
    """Delete the rule-set version a migration stored with ``note``."""
    versions = config_versions()
    op.execute(
        versions.delete().where(
            versions.c.kind == "rules",
            versions.c.changed_by == MIGRATION,
            versions.c.note == note,
        )
    )


def any_model_active() -> bool:
    """Whether any stored model version is active."""
    versions = model_versions()
    return bool(
        op.get_bind().scalar(
            sa.select(sa.func.count()).select_from(versions).where(versions.c.active.is_(True))
        )
    )


def trained_model_in_force() -> bool:
    """Whether the model version in force (the highest active one) is one trained from
    supervisors' corrections rather than one a migration stored."""
    versions = model_versions()
    in_force = (
        op.get_bind()
        .execute(
            sa.select(versions.c.changed_by)
            .where(versions.c.active.is_(True))
            .order_by(versions.c.version.desc())
            .limit(1)
        )
        .first()
    )
    return in_force is not None and in_force.changed_by != MIGRATION


def store_model(data: bytes, note: str, *, active: bool) -> None:
    """Store the gzipped model file ``data`` as the next model version, its metrics (and
    the examples it was trained on) read from the file."""
    versions = model_versions()
    latest = op.get_bind().scalar(sa.select(sa.func.max(versions.c.version))) or 0
    metrics = dict(json.loads(gzip.decompress(data)).get("metrics") or {})
    op.bulk_insert(
        versions,
        [
            {
                "version": int(latest) + 1,
                "body": data,
                "metrics": metrics,
                "examples": int(str(metrics.get("examples", 0))),
                "corrections": 0,
                "active": active,
                "note": note,
                "changed_by": MIGRATION,
                "created_at": datetime.now(UTC),
            }
        ],
    )


def ship_model(data: bytes, note: str) -> None:
    """Store a shipped model file as the next model version, in force only where a
    shipped model still decides (the version in force is one a migration stored, or none
    is): a version trained from supervisors' corrections stays in force (`sopdesk triage
    train` folds them into a model on the new features when run again)."""
    store_model(data, note, active=not trained_model_in_force())


def unship_model(note: str) -> None:
    """Delete the model version a migration stored with ``note``."""
    versions = model_versions()
    op.execute(versions.delete().where(versions.c.changed_by == MIGRATION, versions.c.note == note))
