from typing import ClassVar

from shared.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    service_name: ClassVar[str] = "analytics"

    # An XLSX export is built in memory: narrower filters beyond this many rows.
    export_max_rows: int = 100_000
    # How often the business figures on /metrics are read from the rollups.
    metrics_refresh_seconds: float = 5.0
    # Where the workspace runs (what `sopdesk up` starts on 8006): the dashboard's
    # ticket lists link to the ticket's page there.
    workspace_url: str = "http://127.0.0.1:8006"
