"""Analytics: ledger, metrics, weekly/monthly reports, dashboard."""
