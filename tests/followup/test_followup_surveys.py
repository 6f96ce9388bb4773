"""Result and confirmation: the survey link sent on resolution, its answers, and the
automatic close when nobody answers."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from eventkit import publish
from followup_support import T0, FollowupStore, app_settings, consume, open_store
from testkit import poll, serving

from services.followup import confirmation
from services.followup.app import create_app
from services.followup.models import Survey
from services.followup.settings import FollowupSettings
from services.followup.surveys import InvalidToken, make_token, read_token, token_hash
from shared.errors import ApiError
from shared.events import ResolvedData, TicketResolved, Topics, utcnow
from shared.survey_links import survey_link

SETTINGS = FollowupSettings(survey_secret="test-secret")


def resolved_event(ticket_id: uuid.UUID | None = None, at: Any = T0) -> TicketResolved:
    return TicketResolved(
        ticket_id=ticket_id or uuid.uuid4(),
        occurred_at=at,
        data=ResolvedData(
            assignment_id=uuid.uuid4(),
            at=at,
            resolution_code="fixed",
            public_reply="已为您重置密码,请重新登录。",
            compensations=[{"kind": "coupon", "amount": 20}],
        ),
    )


async def resolve(store: FollowupStore, *events: TicketResolved) -> list[str]:
    async with store.uow() as uow:
        tokens = await confirmation.request_confirmation(uow, list(events), SETTINGS)
        await uow.commit()
    return tokens


async def answer(
    store: FollowupStore, token: str, *, resolved: bool, score: int, at: Any = None
) -> list[Any]:
    async with store.uow() as uow:
        await confirmation.answer_survey(
            uow,
            SETTINGS,
            token,
            resolved=resolved,
            score=score,
            comment="谢谢",
            now=at or T0 + timedelta(hours=1),
        )
        emitted = uow.emitted
        await uow.commit()
    return emitted


def test_tokens_are_signed_and_carry_their_expiry() -> None:
    survey_id = uuid.uuid4()
    token = make_token(b"k", survey_id, T0 + timedelta(days=3))
    assert read_token(b"k", token) == (survey_id, T0 + timedelta(days=3))
    with pytest.raises(InvalidToken):
        read_token(b"other", token)
    tampered = ("A" if token[5] != "A" else "B").join((token[:5], token[6:]))
    with pytest.raises(InvalidToken):
        read_token(b"k", tampered)
    for garbage in ("", "x", "!!!!", token + "AA"):
        with pytest.raises(InvalidToken):
            read_token(b"k", garbage)


def _link_of(params: dict[str, Any]) -> str:
    """The link intake makes of a survey announced by id and expiry (the tests' secret)."""
    return survey_link(
        "http://127.0.0.1:8004/v1/surveys/",
        b"test-secret",
        uuid.UUID(params["survey_id"]),
        datetime.fromisoformat(params["expires_at"]),
    )


async def test_resolution_sends_the_result_and_a_single_use_survey_link(
    store: FollowupStore,
) -> None:
    event = resolved_event()
    (token,) = await resolve(store, event)
    notices = await store.events("notification.requested")
    assert [n.data.template for n in notices] == ["resolution", "survey"]  # type: ignore[attr-defined]
    result, survey = notices[0].data, notices[1].data
    assert result.params["reply"] == "已为您重置密码,请重新登录。"  # type: ignore[attr-defined]
    assert result.params["compensations"] == [{"kind": "coupon", "amount": 20}]  # type: ignore[attr-defined]
    # The link itself never travels on sopdesk.followup: the survey's id and expiry do,
    # and intake signs the link into the message.
    link = _link_of(result.params)  # type: ignore[attr-defined]
    assert link.endswith("/v1/surveys/" + token)
    assert _link_of(survey.params) == link  # type: ignore[attr-defined]
    assert "survey_url" not in result.params and "url" not in survey.params  # type: ignore[attr-defined]
    assert token not in notices[0].model_dump_json() + notices[1].model_dump_json()
    assert all(n.ticket_id == event.ticket_id for n in notices)
    async with store.sessions() as session:
        row = await session.get(Survey, read_token(b"test-secret", token)[0])
    assert row is not None
    assert row.token_hash == token_hash(token) and token not in row.token_hash
    assert row.expires_at == T0 + timedelta(days=3)
    assert row.close_at == T0 + timedelta(days=3)


async def test_a_satisfied_answer_confirms_and_closes_once(store: FollowupStore) -> None:
    event = resolved_event()
    (token,) = await resolve(store, event)
    emitted = await answer(store, token, resolved=True, score=5)
    assert [e.type for e in emitted] == ["survey.answered", "ticket.confirmed", "ticket.closed"]
    assert emitted[0].data.score == 5
    assert emitted[2].data.reason == "confirmed"
    assert all(e.ticket_id == event.ticket_id for e in emitted)
    with pytest.raises(ApiError) as used:
        await answer(store, token, resolved=False, score=1)
    assert (used.value.status, used.value.code) == (409, "survey_already_answered")
    # Answered surveys never close by themselves.
    async with store.uow() as uow:
        assert await confirmation.close_unanswered_surveys(uow, T0 + timedelta(days=10)) == 0


@pytest.mark.parametrize(
    ("resolved", "score", "reason"),
    [(True, 1, "score 1"), (True, 2, "score 2"), (False, 5, "not resolved")],
)
async def test_an_unsatisfied_answer_reopens_escalated(
    store: FollowupStore, resolved: bool, score: int, reason: str
) -> None:
    (token,) = await resolve(store, resolved_event())
    emitted = await answer(store, token, resolved=resolved, score=score)
    assert [e.type for e in emitted] == ["survey.answered", "ticket.reopened"]
    reopened = emitted[1].data
    assert reopened.escalate is True
    assert reason in (reopened.reason or "")


async def test_bad_expired_and_replaced_links_are_refused(store: FollowupStore) -> None:
    event = resolved_event()
    (first,) = await resolve(store, event)

    async def refused(token: str, at: Any = None) -> tuple[int, str]:
        with pytest.raises(ApiError) as error:
            await answer(store, token, resolved=True, score=4, at=at)
        return error.value.status, error.value.code

    assert await refused("not-a-token") == (404, "survey_not_found")
    forged = make_token(b"wrong-secret", uuid.uuid4(), T0 + timedelta(days=3))
    assert await refused(forged) == (404, "survey_not_found")
    # Genuine signature, but never issued (or its survey is gone).
    unknown = make_token(b"test-secret", uuid.uuid4(), T0 + timedelta(days=3))
    assert await refused(unknown) == (404, "survey_not_found")
    assert await refused(first, T0 + timedelta(days=3)) == (410, "survey_expired")
    # A second resolution (after a reopen) replaces the link.
    (second,) = await resolve(store, resolved_event(event.ticket_id, T0 + timedelta(hours=2)))
    assert await refused(first) == (410, "survey_closed")
    emitted = await answer(store, second, resolved=True, score=4)
    assert emitted[0].type == "survey.answered"


async def test_no_answer_closes_the_ticket_automatically_once(database_url: str) -> None:
    store = await open_store(database_url)
    try:
        event = resolved_event()
        (token,) = await resolve(store, event)
        async with store.uow() as uow:
            before = await confirmation.close_unanswered_surveys(
                uow, T0 + timedelta(days=3, seconds=-1)
            )
            await uow.commit()
        assert before == 0
        for _ in range(2):
            async with store.uow() as uow:
                await confirmation.close_unanswered_surveys(uow, T0 + timedelta(days=3))
                await uow.commit()
        closed = await store.events("ticket.closed")
        assert [(e.ticket_id, e.data.reason) for e in closed] == [(event.ticket_id, "auto")]  # type: ignore[attr-defined]
        with pytest.raises(ApiError) as late:
            await answer(store, token, resolved=True, score=5, at=T0 + timedelta(days=2))
        assert late.value.code == "survey_closed"
    finally:
        await store.engine.dispose()


async def test_survey_over_http_and_kafka(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    topics = Topics(topic_prefix)
    settings = app_settings(database_url, broker, topic_prefix, survey_secret="test-secret")
    store = await open_store(database_url)
    try:
        app = create_app(settings)
        async with serving(app, ready_within=30) as client:
            # Resolved now: links made for a fixed date would have expired by today.
            unhappy, happy = resolved_event(at=utcnow()), resolved_event(at=utcnow())
            await publish(broker, topics.dispatch, unhappy, happy)

            async def links() -> dict[uuid.UUID | None, str]:
                notices = await store.events("notification.requested")
                return {
                    n.ticket_id: _link_of(n.data.params)  # type: ignore[attr-defined]
                    for n in notices
                    if n.data.template == "survey"  # type: ignore[attr-defined]
                }

            urls = await poll(lambda: _two(links))
            path = {t: "/v1/surveys/" + u.rsplit("/", 1)[1] for t, u in urls.items()}

            shown = await client.get(path[unhappy.ticket_id])  # no API key: the token is it
            assert shown.status_code == 200, shown.text
            body = shown.json()
            assert body["state"] == "pending"
            assert [q["key"] for q in body["questions"]] == ["resolved", "score", "comment"]

            bad = await client.post(path[unhappy.ticket_id], json={"resolved": True, "score": 9})
            assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
            one = await client.post(
                path[unhappy.ticket_id], json={"resolved": True, "score": 1, "comment": "没用"}
            )
            assert one.status_code == 200, one.text
            assert one.json()["outcome"] == "reopened"
            again = await client.post(path[unhappy.ticket_id], json={"resolved": True, "score": 5})
            assert again.status_code == 409
            assert again.json()["code"] == "survey_already_answered"
            assert (await client.get(path[unhappy.ticket_id])).status_code == 409

            five = await client.post(path[happy.ticket_id], json={"resolved": True, "score": 5})
            assert five.json()["outcome"] == "confirmed"
            garbage = await client.get("/v1/surveys/nonsense")
            assert garbage.status_code == 404
            assert garbage.json()["code"] == "survey_not_found"

            want = {"notification.requested", "survey.answered", "ticket.reopened"}
            events = await consume(broker, topics.followup, f"{topic_prefix}.probe", want=9)
            types = [e["type"] for e in events]
            assert want | {"ticket.confirmed", "ticket.closed"} <= set(types)
            reopened = next(e for e in events if e["type"] == "ticket.reopened")
            assert reopened["ticket_id"] == str(unhappy.ticket_id)
            assert reopened["data"]["escalate"] is True
            closed = next(e for e in events if e["type"] == "ticket.closed")
            assert closed["ticket_id"] == str(happy.ticket_id)
    finally:
        await store.engine.dispose()


async def _two(links: Any) -> Any:
    found = await links()
    return found if len(found) == 2 else None


async def test_survey_link_opened_on_a_phone_is_a_page_with_a_form(
    database_url: str, broker: str, topic_prefix: str
) -> None:
    settings = app_settings(database_url, broker, topic_prefix, survey_secret="test-secret")
    store = await open_store(database_url)
    html = {"Accept": "text/html,application/xhtml+xml"}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    try:
        (token,) = await resolve(store, resolved_event(at=utcnow()))
        app = create_app(settings)
        async with serving(app) as client:
            page = await client.get(f"/v1/surveys/{token}", headers=html)
            assert page.status_code == 200
            assert page.headers["content-type"].startswith("text/html")
            assert f'action="{token}/form"' in page.text
            assert "您的问题是否已解决" in page.text and 'name="score" value="5"' in page.text
            # Without asking for HTML, the same link answers JSON as before.
            assert (await client.get(f"/v1/surveys/{token}")).json()["state"] == "pending"

            path = f"/v1/surveys/{token}/form"
            incomplete = await client.post(path, content="score=5", headers=form)
            assert incomplete.status_code == 422 and "请完整填写" in incomplete.text
            out_of_range = await client.post(path, content="resolved=yes&score=9", headers=form)
            assert out_of_range.status_code == 422
            done = await client.post(
                path,
                content="resolved=no&score=4&comment=%E8%BF%98%E6%B2%A1%E5%A5%BD",
                headers=form,
            )
            assert done.status_code == 200 and "主管将尽快跟进" in done.text
            again = await client.get(f"/v1/surveys/{token}", headers=html)
            assert again.status_code == 409 and "您已提交过评价" in again.text
            bad = await client.get("/v1/surveys/nonsense", headers=html)
            assert bad.status_code == 404 and "此调查链接无效" in bad.text
        answers = await store.events("survey.answered")
        assert [(a.data.resolved, a.data.score, a.data.comment) for a in answers] == [  # type: ignore[attr-defined]
            (False, 4, "还没好")
        ]
        assert len(await store.events("ticket.reopened")) == 1
    finally:
        await store.engine.dispose()
