"""The five services as the command-line tool sees them: app factory, settings, migrations."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.database import BusTables
from shared.settings import ServiceSettings

SERVICE_NAMES = ("intake", "triage", "dispatch", "followup", "analytics")
# The web workspace: served like a service (``sopdesk serve workspace``) but it has no
# store, no migrations and no outbox, so it is not one of the five.
WORKSPACE = "workspace"
SERVABLE = (*SERVICE_NAMES, WORKSPACE)


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    create_app: Callable[..., Any]
    settings_class: type[ServiceSettings]
    migrations: Path
    bus: BusTables


def entry(name: str) -> ServiceEntry:
    if name not in SERVICE_NAMES:
        raise KeyError(f"unknown service {name!r}; choose one of {', '.join(SERVICE_NAMES)}")
    app_module = importlib.import_module(f"services.{name}.app")
    settings_module = importlib.import_module(f"services.{name}.settings")
    settings_class = next(
        obj
        for obj in vars(settings_module).values()
        if inspect.isclass(obj) and issubclass(obj, ServiceSettings) and obj.service_name == name
    )
    models_module = importlib.import_module(f"services.{name}.models")
    return ServiceEntry(
        name, app_module.create_app, settings_class, app_module.MIGRATIONS, models_module.BUS
    )


@dataclass(frozen=True)
class FrontEndEntry:
    name: str
    create_app: Callable[..., Any]
    settings_class: type[ServiceSettings]


def servable(name: str) -> ServiceEntry | FrontEndEntry:
    """What ``sopdesk serve`` runs: one of the five services, or the workspace."""
    if name == WORKSPACE:
        from services.workspace.app import create_app
        from services.workspace.settings import WorkspaceSettings

        return FrontEndEntry(name, create_app, WorkspaceSettings)
    return entry(name)
