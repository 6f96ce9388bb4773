"""Survey answers (pure functions, no I/O). The links themselves are signed in
``shared.survey_links``: follow-up checks them, intake builds them into the message."""

from __future__ import annotations

from shared.survey_links import InvalidToken, make_token, read_token, token_hash

__all__ = ["InvalidToken", "make_token", "read_token", "satisfied", "token_hash"]


def satisfied(resolved: bool, score: int) -> bool:
    """An answer confirms the ticket unless it was not resolved or scored 2 or lower."""
    return resolved and score > 2
