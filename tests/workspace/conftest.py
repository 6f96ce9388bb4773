"""The whole system as `sopdesk up` runs it (broker, five services, workspace), and Debian's
Chromium, once per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright
from testkit import CHROMIUM, CHROMIUM_ARGS
from workspace_support import WorkspaceSystem, sopdesk_up


@pytest.fixture(scope="module")
def workspace_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkspaceSystem]:
    """`sopdesk up` on free ports (SQLite), until every service and the workspace are ready."""
    with sopdesk_up(tmp_path_factory.mktemp("sopdesk-up")) as system:
        yield system


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
