"""Follow-up: SLA clocks, warnings, customer confirmation, surveys, callbacks."""
