"""New tickets in batches: natural group commit (issue 14).

A commit per ticket made intake's request path a string of round trips and
SQLAlchemy's per-statement work. Here concurrent ``POST /v1/tickets`` requests wait
in a queue; one worker takes everything waiting (up to ``ticket_batch_max``) and runs
it as one unit of work: one transaction, the new rows held and written with one
INSERT per table (``repository.HeldRows``), the customers of all of them found and
locked with one SELECT before the first runs, the outbox rows in the same
transaction, one commit. Nothing waits for a batch to fill: a batch is whatever
arrived while the previous one ran, so a lone request goes at once.

Each request's result is its own. A read that could see a held row writes the held
rows first, so two tickets of one customer in a batch are found, merged and
de-duplicated as one after the other. A request that fails rolls the whole batch
back: a domain error (``ApiError``) is its answer and the others run again as the
next batch; after any other failure every request runs again alone, as without
batches (where races between replicas are retried), so nothing is half-written.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from services.intake import reception, repository
from services.intake.numbering import TicketNumbers
from services.intake.reception import NewTicket
from services.intake.schemas import TicketCreate
from services.intake.settings import IntakeSettings
from shared.errors import ApiError
from shared.observability import get_logger
from shared.outbox import UnitOfWork

log = get_logger(__name__)


@dataclass
class _Request:
    payload: TicketCreate
    idempotency_key: str | None
    # The request's own context (its correlation id, its trace): its events carry them.
    context: contextvars.Context
    answer: asyncio.Future[NewTicket]


def _customer_order(request: _Request) -> tuple[str, str, str]:
    """Replicas take their requests in one order (by what identifies the customer), so two
    batches mostly lock profiles in one order. Not always: a profile is locked by whichever
    of its identifiers a request brings (an e-mail-only request sorts first), and a merge
    locks two. PostgreSQL breaks such a circle (deadlock_timeout, 1 s) by failing one
    batch, whose requests then run alone: slower, never lost."""
    customer = request.payload.customer
    return (customer.phone or "", str(customer.email or ""), customer.member_id or "")


def _answer(request: _Request, result: NewTicket | BaseException) -> None:
    if request.answer.done():  # the client went away
        return
    if isinstance(result, BaseException):
        request.answer.set_exception(result)
    else:
        request.answer.set_result(result)


class TicketBatches:
    """``receive`` answers one request; with ``ticket_batch_max`` 1 it is today's path,
    one unit of work per request."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        settings: IntakeSettings,
        numbers: TicketNumbers | None,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._settings = settings
        self._numbers = numbers
        self._max = max(settings.ticket_batch_max, 1)
        self._waiting: list[_Request] = []
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._closing = False
        # How many batches of each size (two or more) committed as one: tests read it.
        self.committed: Counter[int] = Counter()

    async def receive(self, payload: TicketCreate, idempotency_key: str | None) -> NewTicket:
        if self._max == 1 or self._closing:
            return await self._alone(payload, idempotency_key)
        request = _Request(
            payload,
            idempotency_key,
            contextvars.copy_context(),
            asyncio.get_running_loop().create_future(),
        )
        self._waiting.append(request)
        # A worker ended by an exception not its own (it answers its batch and re-raises
        # what is not an Exception) is replaced: otherwise every later request waits.
        if self._worker is None or self._worker.done():
            # A context of its own: the worker is nobody's request.
            self._worker = asyncio.create_task(
                self._work(), name="intake.ticket_batches", context=contextvars.Context()
            )
        self._wake.set()
        return await request.answer

    async def close(self) -> None:
        """Answer what is waiting, then stop."""
        self._closing = True
        self._wake.set()
        worker, self._worker = self._worker, None
        if worker is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(worker), timeout=5)
        except TimeoutError:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        for request in self._waiting:
            _answer(request, RuntimeError("intake is shutting down"))
        self._waiting.clear()

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._waiting:
                batch = [r for r in self._waiting[: self._max] if not r.answer.done()]
                del self._waiting[: self._max]
                if not batch:
                    continue
                try:
                    await self._run(batch)
                except BaseException as exc:  # a bug here must not leave requests hanging
                    # A cancellation handed to a request would read as the request's own
                    # (no response at all); a RuntimeError is answered 500.
                    failure = (
                        exc
                        if isinstance(exc, Exception)
                        else RuntimeError(f"ticket batch failed: {exc!r}")
                    )
                    for request in batch:
                        _answer(request, failure)
                    # Only the worker's own cancellation (close) or the process's end stops
                    # it: the requests queued behind this batch have no one else to run them.
                    task = asyncio.current_task()
                    if not isinstance(exc, Exception | asyncio.CancelledError) or (
                        task is not None and task.cancelling()
                    ):
                        raise
                    log.exception("ticket_batch_failed", size=len(batch))
            if self._closing:
                return

    async def _run(self, batch: list[_Request]) -> None:
        if len(batch) == 1:
            await self._each_alone(batch)
            return
        batch.sort(key=_customer_order)  # stable: one customer's requests keep their order
        done: list[tuple[_Request, NewTicket]] = []
        failed: _Request | None = None
        refused: ApiError | None = None
        try:
            async with self._unit_of_work() as uow:
                repository.hold_rows(uow.session)
                identities = await reception.lock_batch_customers(
                    uow, [r.payload for r in batch], self._settings
                )
                for request, identity in zip(batch, identities, strict=True):
                    try:
                        result = await asyncio.create_task(
                            reception.receive_in_batch(
                                uow,
                                request.payload,
                                request.idempotency_key,
                                self._settings,
                                self._numbers,
                                identity,
                            ),
                            context=request.context,
                        )
                    except ApiError as exc:
                        failed, refused = request, exc
                        break
                    except Exception:
                        failed = request
                        break
                    done.append((request, result))
                if failed is None:
                    await repository.write_held_rows(uow.session)
                    await uow.commit()
                # Otherwise leaving the unit of work rolls all of it back.
        except Exception:
            # The batch's own writes or its commit failed (a replica won a race, a
            # deadlock): no one request to blame, so each runs alone.
            log.warning("ticket_batch_rolled_back", size=len(batch), exc_info=True)
            await self._each_alone(batch)
            return
        if failed is None:
            self.committed[len(batch)] += 1
            for request, result in done:
                _answer(request, result)
            return
        log.info("ticket_batch_rolled_back", size=len(batch), refused=refused is not None)
        if refused is not None:
            # A refusal is that request's own answer (it saw what the requests before it
            # in the batch would have written, as one after the other). The others go back
            # to the head of the queue as the next batch: one client's bad input must not
            # cost every neighbour a transaction of its own, run one at a time here. Each
            # round answers at least one request, so this ends.
            _answer(failed, refused)
            self._waiting[:0] = [r for r in batch if r is not failed]
            return
        # Any other failure may have been caused by the batch: every request runs alone.
        await self._each_alone(batch)

    async def _each_alone(self, requests: list[_Request]) -> None:
        for request in requests:
            try:
                result: NewTicket | BaseException = await asyncio.create_task(
                    self._alone(request.payload, request.idempotency_key),
                    context=request.context,
                )
            except Exception as exc:
                result = exc
            _answer(request, result)

    async def _alone(self, payload: TicketCreate, idempotency_key: str | None) -> NewTicket:
        async with self._unit_of_work() as uow:
            result = await reception.receive_ticket(
                uow, payload, idempotency_key, self._settings, self._numbers
            )
            await uow.commit()
        return result
