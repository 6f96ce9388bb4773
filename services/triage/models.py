"""Triage's tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.database import TYPE_ANNOTATION_MAP, bus_tables
from shared.team_copies import declare_team_copies


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = TYPE_ANNOTATION_MAP


BUS = bus_tables(Base.metadata)
# Dispatch's teams as triage last heard of them (shared.team_copies): what rules route to.
TEAM_COPIES = declare_team_copies(Base.metadata)


class TriageDecision(Base):
    """What triage decided about one ticket, and why (the current decision; re-triage
    overwrites it and logs the correction)."""

    __tablename__ = "triage_decisions"

    ticket_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ticket_no: Mapped[str] = mapped_column(sa.String(32))
    category: Mapped[str] = mapped_column(sa.String(16))
    scene: Mapped[str] = mapped_column(sa.String(16))
    priority: Mapped[str] = mapped_column(sa.String(2))
    team: Mapped[str] = mapped_column(sa.String(32))
    keywords: Mapped[list[str]]
    explanation: Mapped[list[str]]
    sla_policy: Mapped[str] = mapped_column(sa.String(32))
    calendar: Mapped[str] = mapped_column(sa.String(32))
    received_at: Mapped[datetime]
    respond_by: Mapped[datetime]
    resolve_by: Mapped[datetime]
    created_at: Mapped[datetime]
    # Added by 0002: what the engine used and fired, so old decisions stay explainable.
    skill: Mapped[str | None] = mapped_column(sa.String(32))
    tags: Mapped[list[str] | None]
    fired_rules: Mapped[list[str] | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    rule_version: Mapped[int | None]
    policy_version: Mapped[int | None]
    calendar_version: Mapped[int | None]
    industry: Mapped[str | None] = mapped_column(sa.String(32))
    calendar_spec: Mapped[dict[str, Any] | None]
    kb_suggestions: Mapped[list[dict[str, Any]] | None]
    channel: Mapped[str | None] = mapped_column(sa.String(16))
    customer_type: Mapped[str | None] = mapped_column(sa.String(16))
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    # Masked already by intake (138****5678): for the teams' work orders.
    masked_contact: Mapped[str | None] = mapped_column(sa.String(64))
    retriaged_at: Mapped[datetime | None]
    # Added by 0004: the model version that decided when no rule did (0 is the shipped
    # model), its confidence, the review flag, and the text it read (for replaying the
    # decision and for training on a supervisor's correction).
    model_version: Mapped[int | None]
    confidence: Mapped[float | None] = mapped_column(sa.Float())
    needs_review: Mapped[bool | None]
    text: Mapped[str | None] = mapped_column(sa.Text)


class ConfigVersion(Base):
    """One version of an editable configuration: ``rules``, ``sla`` or ``calendars``.

    Every change writes a whole new version; the highest version is in force and
    applies to new tickets only (decisions record the versions they used).
    """

    __tablename__ = "triage_config_versions"

    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    body: Mapped[dict[str, Any]]
    note: Mapped[str] = mapped_column(sa.String(200))
    changed_by: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime]


class ModelVersion(Base):
    """One trained classifier (gzipped JSON of ``classifier.model``) and its held-out
    figures. The highest active version decides; none active means the shipped file.
    Version 0 (the first shipped model) is never stored: it is the shipped weights
    without calibration and P0 gate (``classifier.model.first_model``)."""

    __tablename__ = "triage_model_versions"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    metrics: Mapped[dict[str, Any]]
    examples: Mapped[int]
    corrections: Mapped[int]
    active: Mapped[bool]
    note: Mapped[str] = mapped_column(sa.String(200))
    changed_by: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime]


class Correction(Base):
    """A supervisor's re-triage of a ticket: what the rules said and what it should be."""

    __tablename__ = "triage_corrections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    decided_by: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    fired_rules: Mapped[list[str]]
    rule_version: Mapped[int | None]
    from_category: Mapped[str] = mapped_column(sa.String(16))
    from_priority: Mapped[str] = mapped_column(sa.String(2))
    from_team: Mapped[str] = mapped_column(sa.String(32))
    to_category: Mapped[str] = mapped_column(sa.String(16))
    to_priority: Mapped[str] = mapped_column(sa.String(2))
    to_team: Mapped[str] = mapped_column(sa.String(32))
    corrected_by: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime]


class KbArticle(Base):
    """A knowledge-base article with the standard answer agents give."""

    __tablename__ = "kb_articles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    answer: Mapped[str] = mapped_column(sa.Text)
    tags: Mapped[list[str]]
    category: Mapped[str | None] = mapped_column(sa.String(16))
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
