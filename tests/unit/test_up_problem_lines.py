"""What `sopdesk up` shows in the terminal from the services' logs: warnings and worse."""

from __future__ import annotations

import json

from sopdesk.local import problem_line


def test_warnings_and_errors_are_shown_in_one_line() -> None:
    line = json.dumps(
        {
            "event": "outbox_publish_failed",
            "level": "warning",
            "error": "KafkaConnectionError()",
            "timestamp": "2026-12-01T23:00:00Z",
            "service": "intake",
            "correlation_id": "c1",
        }
    )
    shown = problem_line(line)
    assert shown == "warning: outbox_publish_failed error=KafkaConnectionError() correlation_id=c1"
    error = problem_line(json.dumps({"event": "boom", "level": "error", "exception": "Trace…"}))
    assert error == "error: boom"  # the traceback stays in the log file


def test_info_lines_stay_in_the_file_and_raw_crashes_are_shown() -> None:
    assert problem_line(json.dumps({"event": "request", "level": "info"})) is None
    assert problem_line("") is None
    assert problem_line("Traceback (most recent call last):") == (
        "Traceback (most recent call last):"
    )
    assert problem_line(json.dumps({"event": "[red]x[/]", "level": "warning"})) == (
        "warning: \\[red]x\\[/]"  # markup in a log line is printed, not interpreted
    )
