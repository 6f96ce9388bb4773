import secrets
from datetime import timedelta
from typing import ClassVar

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings


class FollowupSettings(ServiceSettings):
    service_name: ClassVar[str] = "followup"

    # Supervisors are warned this long before a deadline (never later than half the window).
    warning_lead: timedelta = timedelta(hours=4)
    # Per priority, overriding ``warning_lead``: e.g. SOPDESK_WARNING_LEADS='{"P0": "PT30M"}'.
    warning_leads: dict[str, timedelta] = Field(default_factory=dict)

    # The SLA timer looks for due warnings and breaches this often (seconds), and
    # claims at most this many clocks per transaction. A deadline fires up to this
    # late; each tick is three queries, so an idle service sleeps between them.
    timer_interval_seconds: float = 5.0
    timer_batch_size: int = 200

    # A ticket open this long needs a customer-visible update, and again this long after
    # each update (on a business calendar: the same time one working day later); the
    # agent is reminded ``update_reminder_lead`` before (never later than half the wait).
    update_interval: timedelta = timedelta(hours=24)
    update_reminder_lead: timedelta = timedelta(hours=2)

    def lead_for(self, priority: str | None, kind: str = "resolution") -> timedelta:
        """How long before a deadline of this priority (and clock kind) to warn."""
        if kind == "update":
            return self.update_reminder_lead
        if priority is not None and priority in self.warning_leads:
            return self.warning_leads[priority]
        return self.warning_lead

    # Surveys: the link's token is signed with this secret (HMAC-SHA256) and expires
    # after ``survey_link_ttl``; an unanswered survey closes the ticket (reason ``auto``)
    # after ``auto_close_after``. Set SOPDESK_SURVEY_SECRET in production.
    # Signs survey links: set one value on every replica (SOPDESK_SURVEY_SECRET). Unset,
    # each process makes its own, and a link made by one replica fails on another.
    survey_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    survey_base_url: str = "http://127.0.0.1:8004/v1/surveys/"
    survey_link_ttl: timedelta = timedelta(days=3)
    auto_close_after: timedelta = timedelta(days=3)
    # The brand the survey page names (SOPDESK_SURVEY_BRAND).
    survey_brand: str = "sopdesk"

    # Callbacks (回访) after resolution, due inside working hours: after-sales, fault and
    # complaint tickets are called back within this long of the resolution, suggestions
    # get feedback within this many working days (the ticket's calendar, else China's).
    after_sales_callback_within: timedelta = timedelta(hours=24)
    fault_callback_within: timedelta = timedelta(hours=24)
    complaint_callback_within: timedelta = timedelta(hours=24)
    suggestion_feedback_working_days: int = 3
