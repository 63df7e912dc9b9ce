"""Answers computed from the whole dataset (reports, traces), kept while the data stands still.

Every committed write appends to the change feed, in commit order, so the feed's last
event id is the version of the data: an answer computed in a snapshot whose last event
was N is exact for as long as the feed's last event is still N. Answers that read the
clock (ages, revisits due) are also kept no longer than `max_age_seconds`.

One computation per question at a time: 32 managers opening the summary together cost
one computation, not 32 that each make the others slower.
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session

from app.core.db import consistent_snapshot
from app.core.direct import DirectQuery, DirectReads
from app.events.models import Event

_LATEST_EVENT = DirectQuery(select(func.max(Event.id).label("latest")))


@dataclass(frozen=True)
class _Answer:
    version: int
    computed_at: float
    body: bytes


@dataclass
class _Computation:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0  # forgotten once nobody waits on it


class AnswerCache:
    def __init__(self, *, max_age_seconds: float = 30.0, max_answers: int = 256) -> None:
        self.max_age_seconds = max_age_seconds
        self.max_answers = max_answers
        self._answers: OrderedDict[Hashable, _Answer] = OrderedDict()
        self._computing: dict[Hashable, _Computation] = {}

    async def answer(
        self,
        key: Hashable,
        *,
        reads: DirectReads,
        session: Session,
        compute: Callable[[Session], BaseModel],
    ) -> Response:
        """The JSON answer to `key`: kept, or computed by `compute` in one snapshot."""
        answer = await self._current(key, reads)
        if answer is None:
            computation = self._computing.setdefault(key, _Computation())
            computation.waiting += 1
            try:
                async with computation.lock:
                    # Whoever held the lock may just have computed it.
                    answer = await self._current(key, reads)
                    if answer is None:
                        answer = await run_in_threadpool(_computed, session, compute)
                        self._keep(key, answer)
            finally:
                computation.waiting -= 1
                if not computation.waiting:
                    del self._computing[key]
        return Response(answer.body, media_type="application/json")

    async def _current(self, key: Hashable, reads: DirectReads) -> _Answer | None:
        answer = self._answers.get(key)
        if answer is None or time.monotonic() - answer.computed_at > self.max_age_seconds:
            return None
        if await _latest_event(reads) != answer.version:
            return None
        self._answers.move_to_end(key)
        return answer

    def _keep(self, key: Hashable, answer: _Answer) -> None:
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self.max_answers:
            self._answers.popitem(last=False)


def _computed(session: Session, compute: Callable[[Session], BaseModel]) -> _Answer:
    started = time.monotonic()  # its age counts from its snapshot, not from its end
    consistent_snapshot(session)
    # Read in the answer's own snapshot: the version is exactly what it was computed from.
    version = session.execute(_LATEST_EVENT.statement).scalar() or 0
    body = compute(session).model_dump_json().encode()
    return _Answer(version=version, computed_at=started, body=body)


async def _latest_event(reads: DirectReads) -> int:
    row = await reads.one(_LATEST_EVENT)
    return (row["latest"] if row else None) or 0


async def answer_cache(request: Request) -> AnswerCache:
    cache: AnswerCache = request.app.state.answer_cache
    return cache


AnswerCacheDep = Annotated[AnswerCache, Depends(answer_cache)]
