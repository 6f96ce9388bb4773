"""Per-agent exceptions to a roster (issue 17), on SQLite and PostgreSQL, days in
Asia/Shanghai: leave takes an agent off shift (assignment and handover honour it at once),
a swap puts agent A on agent B's shift on a date, an extra shift adds one (National Day
duty); supervisors of the team or admins set them, each change numbered with its actor,
bad input is a 4xx with a stable code."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatch_helpers import DispatchStore, add_agent, dispatch, load
from eventkit import triaged
from people_support import ADMIN_KEY, on_shift, running_dispatch, team_cast

from services.dispatch.models import Assignment
from services.dispatch.shifts import domain
from services.dispatch.shifts.exceptions import NewException, add_exception
from services.dispatch.shifts.loading import calendar
from services.dispatch.shifts.service import set_roster

SHANGHAI = ZoneInfo("Asia/Shanghai")
A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def exception(
    kind: str, agent: uuid.UUID, first: str, last: str | None = None, **kw: Any
) -> domain.Exception_:
    return domain.Exception_(
        id=uuid.uuid4(),
        kind=kind,
        agent_id=agent,
        first_day=datetime.fromisoformat(first).date(),
        last_day=datetime.fromisoformat(last or first).date(),
        **kw,
    )


def test_leave_swaps_and_extra_shifts_change_who_is_on_shift() -> None:
    from shared.holiday_data import OFFICIAL_SCHEDULES

    china = domain.calendar_from(
        {
            y: ([d.isoformat() for d in o], [d.isoformat() for d in w])
            for y, (o, w) in OFFICIAL_SCHEDULES.items()
        }
    )
    shifts = [
        {
            "name": "早班",
            "start": "08:00",
            "end": "16:00",
            "days": [0, 1, 2, 3, 4],
            "agent_ids": [A],
        },
        {
            "name": "夜班",
            "start": "22:00",
            "end": "06:00",
            "days": [0, 1, 2, 3, 4],
            "agent_ids": [B],
        },
    ]
    roster = domain.roster_from(
        "Asia/Shanghai",
        "queue",
        shifts,
        china,
        [
            exception("leave", A, "2026-12-07", "2026-12-08"),
            exception("swap", C, "2026-12-09", shift="早班", replaces=A),
            exception(
                "extra",
                C,
                "2026-10-01",
                shift="国庆值班",
                start=domain.parse_clock("09:00"),
                end=domain.parse_clock("13:00"),
            ),
        ],
    )
    assert set(roster.on_shift(local("2026-12-04 10:00"))) == {A}  # Friday, no exception
    assert set(roster.on_shift(local("2026-12-07 10:00"))) == set()  # A on leave
    assert set(roster.on_shift(local("2026-12-08 15:59"))) == set()
    assert set(roster.on_shift(local("2026-12-09 10:00"))) == {C}  # C works A's shift
    assert set(roster.on_shift(local("2026-12-10 10:00"))) == {A}
    # Leave is one agent's: B's Monday night shift still runs into Tuesday.
    assert set(roster.on_shift(local("2026-12-08 02:00"))) == {B}
    # National Day: nobody's weekday pattern runs, C's extra duty does.
    duty = roster.on_shift(local("2026-10-01 10:00"))
    assert set(duty) == {C} and duty[C][0].name == "国庆值班"
    assert duty[C][1] == local("2026-10-01 13:00")
    nxt = roster.next_crew(local("2026-12-06 20:00"))  # Sunday evening: A's Monday is leave
    assert nxt is not None and (nxt.shift.name, nxt.agent_ids) == ("早班", frozenset())


async def test_leave_today_takes_an_agent_out_of_assignment_and_hands_over(
    store: DispatchStore,
) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()
    first = await add_agent(store, "请假的张", capacity=3)
    second = await add_agent(store, "值班的李", capacity=3)
    async with store.uow() as uow:
        assert (await calendar(uow.session)).knows(2026)
        await set_roster(
            uow,
            "tech_support",
            timezone="Asia/Shanghai",
            handover="reassign",
            shifts=[
                {
                    "name": "全天",
                    "start": "00:00",
                    "end": "00:00",
                    "agent_ids": [first.id, second.id],
                }
            ],
            actor="key:test",
            actor_name="test",
            at=now,
        )
        await uow.commit()
    tickets = await dispatch(store, triaged(ticket_no="T-LEAVE-1"), triaged(ticket_no="T-LEAVE-2"))
    assert {t.agent_id for t in tickets} == {first.id, second.id}  # both on shift: one each
    held = next(t for t in tickets if t.agent_id == first.id)

    async with store.uow() as uow:
        await add_exception(
            uow,
            "tech_support",
            NewException(kind="leave", agent_id=first.id, first_day=today, note="病假"),
            actor="person:lead",
            actor_name="技术主管",
            at=now,
        )
        await uow.commit()
    # Reassign: the work of the agent now on leave went to the one on shift.
    assert (await load(store, Assignment, held.id)).agent_id == second.id
    (late,) = await dispatch(store, triaged(ticket_no="T-LEAVE-3"))
    assert late.agent_id == second.id


async def test_exceptions_over_http_with_their_refusals_and_history(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    async with running_dispatch(database_url, broker, topic_prefix) as client:
        (zhang, _), (li, _), (stranger, _), (_, lead), (_, other_lead) = await team_cast(
            client, "logistics", "log-lead", "物流主管"
        )
        url = "/v1/teams/logistics/shift-exceptions"
        leave = {
            "kind": "leave",
            "agent_id": zhang["id"],
            "first_day": "2026-12-07",
            "last_day": "2026-12-09",
        }
        missing = await client.post(url, json=leave, headers=lead)
        assert (missing.status_code, missing.json()["code"]) == (404, "shift_roster_not_found")
        roster = {
            "timezone": "Asia/Shanghai",
            "shifts": [
                {
                    "name": "早班",
                    "start": "08:00",
                    "end": "16:00",
                    "days": [0, 1, 2, 3, 4],
                    "agent_ids": [zhang["id"]],
                },
                {
                    "name": "晚班",
                    "start": "16:00",
                    "end": "24:00",
                    "days": [0, 1, 2, 3, 4],
                    "agent_ids": [li["id"]],
                },
            ],
        }
        assert (
            await client.put("/v1/teams/logistics/shifts", json=roster, headers=lead)
        ).status_code == 200

        refused = await client.post(url, json=leave, headers=other_lead)
        assert (refused.status_code, refused.json()["code"]) == (403, "not_team_supervisor")
        added = await client.post(url, json={**leave, "note": "年假"}, headers=lead)
        assert added.status_code == 201, added.text
        assert (added.json()["agent_name"], added.json()["created_by_name"]) == ("张伟", "物流主管")

        async def code(body: dict[str, Any]) -> tuple[int, str]:
            got = await client.post(url, json=body, headers=lead)
            return got.status_code, got.json().get("code", "")

        assert await code({**leave, "first_day": "2026-12-09", "last_day": "2026-12-11"}) == (
            409,
            "exception_overlap",
        )
        assert await code({**leave, "first_day": "2026-12-12", "last_day": "2026-12-10"}) == (
            422,
            "end_before_start",
        )
        assert await code({**leave, "agent_id": str(uuid.uuid4())}) == (422, "unknown_agent")
        assert await code({**leave, "agent_id": stranger["id"]}) == (422, "agent_not_in_team")
        swap = {
            "kind": "swap",
            "agent_id": li["id"],
            "first_day": "2026-12-10",
            "shift": "早班",
            "replaces_agent_id": zhang["id"],
        }
        assert await code({**swap, "shift": "午班"}) == (422, "unknown_shift")
        # 2026-10-01 is National Day: the weekday 早班 does not run, nobody's to take over.
        assert await code({**swap, "first_day": "2026-10-01"}) == (422, "not_their_shift")
        assert await code({**swap, "replaces_agent_id": li["id"]}) == (422, "swap_with_self")
        assert await code({"kind": "extra", "agent_id": li["id"], "first_day": "2026-10-01"}) == (
            422,
            "extra_needs_times",
        )
        assert await code({**leave, "kind": "holiday"}) == (422, "validation_error")
        assert (
            await client.post(url, json={**swap, "start": "25:00"}, headers=lead)
        ).status_code == 422
        swapped = await client.post(url, json=swap, headers=lead)
        assert swapped.status_code == 201, swapped.text
        assert await code({**swap, "agent_id": li["id"]}) == (409, "exception_overlap")  # again
        duty = {
            "kind": "extra",
            "agent_id": li["id"],
            "first_day": "2026-10-01",
            "start": "09:00",
            "end": "13:00",
            "shift": "国庆值班",
        }
        assert (await client.post(url, json=duty, headers=ADMIN_KEY)).status_code == 201

        async def on(moment: str) -> dict[str, Any]:
            return await on_shift(client, "logistics", moment, lead)

        monday = await on("2026-12-07T10:00:00+08:00")
        assert monday["agents"] == []  # 张伟 on leave
        assert [(e["kind"], e["agent_name"], e["note"]) for e in monday["exceptions_today"]] == [
            ("leave", "张伟", "年假")
        ]
        thursday = await on("2026-12-10T10:00:00+08:00")
        assert [(a["display_name"], a["shift"]) for a in thursday["agents"]] == [("李娜", "早班")]
        national = await on("2026-10-01T10:00:00+08:00")
        assert [(a["display_name"], a["shift"]) for a in national["agents"]] == [
            ("李娜", "国庆值班")
        ]

        listed = await client.get(
            url, params={"from": "2026-12-01", "to": "2026-12-31"}, headers=lead
        )
        assert [e["kind"] for e in listed.json()] == ["leave", "swap"]
        backwards = await client.get(
            url, params={"from": "2026-12-31", "to": "2026-12-01"}, headers=lead
        )
        assert (backwards.status_code, backwards.json()["code"]) == (422, "end_before_start")

        gone = await client.delete(f"{url}/{added.json()['id']}", headers=lead)
        assert gone.status_code == 204
        again = await client.delete(f"{url}/{added.json()['id']}", headers=lead)
        assert (again.status_code, again.json()["code"]) == (404, "shift_exception_not_found")
        history = (await client.get(f"{url}/history", headers=lead)).json()
        assert [
            (h["version"], h["action"], h["exception"]["kind"], h["actor_name"]) for h in history
        ] == [
            (4, "removed", "leave", "物流主管"),
            (3, "added", "extra", "admin:ad"),
            (2, "added", "swap", "物流主管"),
            (1, "added", "leave", "物流主管"),
        ]
        assert (await on("2026-12-07T10:00:00+08:00"))["agents"][0]["display_name"] == "张伟"
