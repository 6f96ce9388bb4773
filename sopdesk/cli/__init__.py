"""``sopdesk``: run everything locally, serve one service, migrate the stores, operate them.

One module per group of commands: ``system`` (serve, migrate, up), ``operations`` (status,
topics, dlq, replay), ``triage`` (train), ``chaos`` (the fault run) and ``demo`` (demo
tickets); ``root`` holds the command itself and what the groups share.
"""

# Importing a group registers its commands; this order is the order ``--help`` lists them.
# isort: off
from sopdesk.cli import system, operations, triage, chaos, demo

# isort: on
from sopdesk.cli.root import app
from sopdesk.cli.system import _local_api_keys

__all__ = ["_local_api_keys", "app", "chaos", "demo", "operations", "system", "triage"]
