"""Dispatch's HTTP routes (who is acting: see ``common``)."""

from __future__ import annotations

# Importing a route module puts its routes on the one router, in this order (OpenAPI's).
# isort: off
from services.dispatch.api import roster  # noqa: F401
from services.dispatch.api import assignments  # noqa: F401
from services.dispatch.api import compensation  # noqa: F401
from services.dispatch.api import activity  # noqa: F401
from services.dispatch.api import supervision  # noqa: F401

# isort: on
from services.dispatch.api.common import router

__all__ = ["router"]
