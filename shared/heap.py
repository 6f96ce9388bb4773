"""The cyclic garbage collector, tuned for a long-running service (issue 14).

py-spy and ``gc.callbacks`` on intake under the standard benchmark (2026-12-08): about
15 % of its CPU went to the collector, three quarters of it in full collections of some
120 ms each that walked every object alive since start-up (modules, pydantic schemas,
SQLAlchemy mappers, the pair model and lexicons), and most of the rest in young
collections every 700 allocations. Start-up objects never become garbage; a request's
objects are freed by their reference counts long before a collection could."""

from __future__ import annotations

import gc

# Young collections every this many allocations net of frees (CPython's default: 700).
# Cyclic garbage waits longer to be found, at most this many objects more in memory.
YOUNG_THRESHOLD = 20_000


def settle_heap() -> None:
    """Once start-up is done: collect what it left, move what is left out of the
    collector's reach (``gc.freeze``: still freed by reference counting, never walked
    again), and collect young objects less often."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
