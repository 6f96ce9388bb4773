"""``sopdesk triage train``: a new classifier version from the corpus and supervisors'
corrections, kept in force only if it is not worse on the held-out split."""

from __future__ import annotations

from services.triage import configuration, learning
from services.triage.learning import TrainingOutcome
from services.triage.settings import TriageSettings
from shared.database import create_engine, session_factory


async def train(note: str, by: str) -> TrainingOutcome:
    settings = TriageSettings()
    engine = create_engine(settings.resolved_database_url)
    try:
        async with session_factory(engine)() as session:
            rules = (await configuration.load_engine(session, settings)).ruleset
            outcome = await learning.train_version(session, rules, by, note)
            await session.commit()
    finally:
        await engine.dispose()
    return outcome
