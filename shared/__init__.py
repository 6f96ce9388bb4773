"""Contracts (event models, topic names) and plumbing common to the sopdesk services.

Nothing here knows a business rule: services own those.
"""

__version__ = "0.1.0"
