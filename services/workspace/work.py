"""What the agent's pages show, composed from the services' answers (pure functions, no
I/O): the "my work" views, the conversation thread, the action forms' checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

VIEWS = ("open", "new", "in_progress", "waiting", "due_soon", "breached")
OPEN_STATES = ("assigned", "accepted", "waiting_on_customer")
# A clock with less than this left counts as due soon (seed 002 warns 4 hours ahead).
DUE_SOON = timedelta(hours=4)


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def running_deadline(item: Mapping[str, Any]) -> datetime | None:
    """The deadline that matters now: the first response until accepted, then resolution."""
    if item.get("state") == "assigned" and not item.get("accepted_at"):
        return _instant(item.get("respond_by"))
    return _instant(item.get("resolve_by"))


def view_of(item: Mapping[str, Any], now: datetime) -> set[str]:
    """The views an assignment belongs to (an open one is in "open" and in its state's view,
    and in due_soon or breached by its running clock; waiting pauses the clock)."""
    state = item.get("state")
    if state not in OPEN_STATES:
        return set()
    views = {"open"}
    views.add({"assigned": "new", "accepted": "in_progress"}.get(str(state), "waiting"))
    deadline = running_deadline(item)
    if deadline is not None and state != "waiting_on_customer":
        if deadline <= now:
            views.add("breached")
        elif deadline - now <= DUE_SOON:
            views.add("due_soon")
    return views


def bucket(items: Iterable[Mapping[str, Any]], now: datetime) -> dict[str, list[Mapping[str, Any]]]:
    """Assignments by view, each list soonest deadline first (replied-to ones on top)."""
    buckets: dict[str, list[Mapping[str, Any]]] = {view: [] for view in VIEWS}
    for item in items:
        for view in view_of(item, now):
            buckets[view].append(item)
    far = datetime.max.replace(tzinfo=UTC)

    def order(item: Mapping[str, Any]) -> tuple[int, datetime]:
        return (0 if item.get("customer_replied_at") else 1, running_deadline(item) or far)

    for entries in buckets.values():
        entries.sort(key=order)
    return buckets


# --------------------------------------------------------------------------- the thread


@dataclass
class ThreadEntry:
    at: datetime
    side: str  # customer, agent, internal, system: how the entry is drawn
    kind: str  # the source's kind: description, message, notice, internal_note, ...
    who: str
    text: str
    channel: str | None = None
    source: str = ""  # intake or dispatch
    data: dict[str, Any] = field(default_factory=dict)


# Dispatch's kinds the customer-facing conversation (intake's) shows too: a customer's
# message always (intake has it first); a public reply once intake has sent it.
_CUSTOMER_WORDS = {"customer_replied"}
_SENT_TO_CUSTOMER = {"public_reply"}
_INTERNAL = {
    "internal_note",
    "note",
    "collaborator_request",
    "collaborator_answer",
    "collaboration_requested",
    "collaboration_answered",
}


def thread(
    messages: Iterable[Mapping[str, Any]] | None, activity: Iterable[Mapping[str, Any]] | None
) -> list[ThreadEntry]:
    """One conversation in time order: intake's messages (customer words on every channel,
    every text sent) and dispatch's activity (notes, collaborators, system events). A
    public reply is in both; it is shown once: as intake sent it once intake has (its
    notice holds the reply's text), as dispatch recorded it until then."""
    entries: list[ThreadEntry] = []
    for message in messages or ():
        at = _instant(message.get("at"))
        if at is None:
            continue
        author = str(message.get("author", "system"))
        entries.append(
            ThreadEntry(
                at=at,
                side=author if author in ("customer", "agent") else "system",
                kind=str(message.get("kind", "message")),
                who=str(message.get("actor_name") or ""),
                text=str(message.get("body", "")),
                channel=message.get("channel"),
                source="intake",
            )
        )
    have_intake = messages is not None
    sent = [e.text for e in entries if e.side != "customer"]
    for line in activity or ():
        at = _instant(line.get("at"))
        kind = str(line.get("kind", ""))
        text = str(line.get("text") or "")
        if at is None or (have_intake and kind in _CUSTOMER_WORDS):
            continue
        if text and any(text in body for body in sent):
            if kind in _SENT_TO_CUSTOMER:
                continue  # intake's notice carries it (in its template's words)
            text = ""  # the event stays (resolved, waiting ...), its words are in the notice
        side = "internal" if kind in _INTERNAL else "agent" if kind == "public_reply" else "system"
        actor = str(line.get("actor_id") or "")
        # A service acting on its own is "the system", however it names itself.
        who = "" if actor.startswith("system") else str(line.get("actor_name") or "")
        entries.append(
            ThreadEntry(
                at=at,
                side=side,
                kind=kind,
                who=who,
                text=text,
                source="dispatch",
                data=dict(line.get("data") or {}),
            )
        )
    entries.sort(key=lambda entry: entry.at)
    answered = {
        str(e.data.get("collaboration_id")) for e in entries if e.kind == "collaborator_answer"
    }
    for entry in entries:
        asked = entry.data.get("collaboration_id")
        if entry.kind == "collaborator_request" and asked and str(asked) not in answered:
            entry.data["open_request"] = str(asked)  # the page offers the answer form
    return entries


# --------------------------------------------------------------------------- action forms

# Each action: the fields it needs (name → (required, max length)).
ACTION_FIELDS: dict[str, dict[str, tuple[bool, int]]] = {
    "accept": {},
    "reply": {"note": (True, 4000)},
    "note": {"note": (True, 4000)},
    "collaborate": {"collaborator": (True, 100), "note": (True, 4000)},
    "waiting": {"note": (False, 4000)},
    "resume": {},
    "transfer": {"to_team": (True, 32), "reason": (True, 1000)},
    "escalate": {"reason": (True, 1000)},
    "compensation": {"kind": (True, 32), "amount": (True, 20), "reason": (True, 1000)},
    "visit": {"window_start": (True, 32), "window_end": (True, 32), "note": (False, 1000)},
    "extension": {"extra_minutes": (True, 6), "reason": (True, 1000)},
    "resolve": {"resolution_code": (True, 64), "public_reply": (True, 4000)},
}
ACTIONS = tuple(ACTION_FIELDS)
COMPENSATION_KINDS = ("coupon", "refund", "extended_warranty", "free_repair")


@dataclass
class ActionRequest:
    """What to call for an action, or the errors by field."""

    path: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    service: str = "dispatch"
    errors: dict[str, str] = field(default_factory=dict)


def _local_instant(text: str, zone: ZoneInfo) -> datetime | None:
    """A ``datetime-local`` input (no zone) read in the display zone, as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def action_request(
    action: str, assignment_id: str, form: Mapping[str, str], zone: ZoneInfo
) -> ActionRequest:
    """The service call an action form asks for; field errors are i18n keys
    (``error.required``, ``error.too_long``, ``error.number``, ``error.window``)."""
    request = ActionRequest()
    values = {name: form.get(name, "").strip() for name in ACTION_FIELDS[action]}
    for name, (required, limit) in ACTION_FIELDS[action].items():
        if required and not values[name]:
            request.errors[name] = "error.required"
        elif len(values[name]) > limit:
            request.errors[name] = "error.too_long"
    body: dict[str, Any] = {}
    version = form.get("expected_version", "")
    if version.isdigit() and int(version) >= 1:
        body["expected_version"] = int(version)
    base = f"/v1/assignments/{assignment_id}"
    if action == "accept":
        request.path = f"{base}/accept"
    elif action in ("reply", "note"):
        request.path = f"{base}/progress"
        body.update(note=values["note"], customer_visible=action == "reply")
    elif action == "collaborate":
        request.path = f"{base}/progress"
        body.update(note=values["note"], collaborator=values["collaborator"])
    elif action == "waiting":
        request.path = f"{base}/waiting_on_customer"
        if values["note"]:
            body.update(note=values["note"], customer_visible=True)
    elif action == "resume":
        request.path = f"{base}/resume"
    elif action == "transfer":
        request.path = f"{base}/transfer"
        body.update(to_team=values["to_team"], reason=values["reason"])
    elif action == "escalate":
        request.path = f"{base}/escalate"
        body.update(reason=values["reason"])
    elif action == "compensation":
        request.path = f"{base}/compensations"
        if values["kind"] and values["kind"] not in COMPENSATION_KINDS:
            request.errors["kind"] = "error.choose"
        try:
            amount = float(values["amount"]) if values["amount"] else None
        except ValueError:
            amount = None
            request.errors["amount"] = "error.number"
        if amount is not None and not 0 <= amount <= 1_000_000:
            request.errors["amount"] = "error.number"
        body.update(kind=values["kind"], amount=amount, reason=values["reason"])
    elif action == "visit":
        request.path = f"{base}/visit"
        start = _local_instant(values["window_start"], zone) if values["window_start"] else None
        end = _local_instant(values["window_end"], zone) if values["window_end"] else None
        if values["window_start"] and start is None:
            request.errors["window_start"] = "error.when"
        if values["window_end"] and end is None:
            request.errors["window_end"] = "error.when"
        if start and end and end <= start:
            request.errors["window_end"] = "error.window"
        body.update(
            window_start=start.isoformat() if start else None,
            window_end=end.isoformat() if end else None,
        )
        if values["note"]:
            body["note"] = values["note"]
    elif action == "extension":
        request.path = f"{base}/extension-requests"
        minutes = values["extra_minutes"]
        if minutes and (not minutes.isdigit() or not 1 <= int(minutes) <= 43200):
            request.errors["extra_minutes"] = "error.number"
        body.update(extra_minutes=int(minutes) if minutes.isdigit() else None)
        body.update(reason=values["reason"])
    elif action == "resolve":
        request.path = f"{base}/resolve"
        code = values["resolution_code"]
        if code and not _is_code(code):
            request.errors["resolution_code"] = "error.code"
        body.update(resolution_code=code, public_reply=values["public_reply"])
    request.body = body
    return request


def _is_code(code: str) -> bool:
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789_.-")
    return 2 <= len(code) <= 64 and code[0].isalpha() and code.islower() and set(code) <= allowed
