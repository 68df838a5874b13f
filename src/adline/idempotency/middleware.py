"""The edge of idempotent requests: a POST carrying `Idempotency-Key` runs in a transaction
this middleware opens and commits once the answer is known, with the answer stored in it.

1. A malformed key (empty, over 255 bytes, control characters) is 400 naming the header.
2. The request's session is opened here and handed to `session_dependency` (which then
   neither commits nor closes it); the auth dependency reserves the key
   (`adline.idempotency.service.reserve`).
3. The answer is held back. When its last byte is in: an answer below 500 is written into
   the reservation and committed with the request's writes (a 4xx had its writes rolled
   back already: only the answer commits); a 5xx rolls back and gives the key up, so that a
   retry runs anew. Only then is the answer sent, and background tasks (which run after
   it) see the writes committed.
4. A crash gives the key up too; a failed commit answers 500 and gives it up.

GET, DELETE and every other method ignore the header.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adline.core.db import EDGE_SESSION_STATE
from adline.core.errors import AdlineError, InvalidRequest, error_response
from adline.idempotency.service import (
    HEADER,
    KEY_STATE,
    REPLAYED_HEADER,
    RESERVATION_STATE,
    RETRY_IN_PROGRESS_AFTER,
    Replay,
    RequestInProgress,
    Reservation,
    StoredAnswer,
    key_problem,
    release,
    store_answer,
)

logger = logging.getLogger("adline.idempotency")

_HEADER_NAME = HEADER.lower().encode()
# Headers of an answer that belong to one sending of it, not to the answer.
_NOT_STORED = frozenset({b"date", b"server"})


async def replay_response(request: Request, exc: Exception) -> Response:
    """The exception handler of `Replay`: the stored answer, byte for byte."""
    assert isinstance(exc, Replay)
    answer = exc.answer
    if answer.api_version is not None:
        request.state.api_version = answer.api_version
    response = Response(content=answer.body, status_code=answer.status_code)
    response.raw_headers = [
        *((name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers),
        (REPLAYED_HEADER.lower().encode(), b"true"),
    ]
    return response


def _messages(response: Response) -> list[Message]:
    return [
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": response.raw_headers,
        },
        {"type": "http.response.body", "body": response.body},
    ]


def _crash() -> Response:
    return error_response(AdlineError("An internal error occurred.", code="internal_error"))


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, app_of: Any) -> None:
        self.app = app
        # The FastAPI app whose state holds the sessionmaker.
        self.app_of = app_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        raw = next((value for name, value in scope["headers"] if name == _HEADER_NAME), None)
        if raw is None:
            await self.app(scope, receive, send)
            return
        problem = key_problem(raw)
        if problem is not None:
            refusal = InvalidRequest(f"Invalid value for {HEADER}: {problem}.", param=HEADER)
            await error_response(refusal)(scope, receive, send)
            return

        state: dict[str, Any] = scope.setdefault("state", {})
        async with self.app_of.state.sessionmaker() as session:
            state[EDGE_SESSION_STATE] = session
            state[KEY_STATE] = raw.decode("latin-1")
            held: list[Message] = []
            answered = False

            async def hold(message: Message) -> None:
                nonlocal answered
                if message["type"] == "http.response.start":
                    held.append(message)
                    return
                if message["type"] != "http.response.body":
                    await send(message)
                    return
                held.append(message)
                if message.get("more_body", False):
                    return
                answered = True
                for out in await self._finish(state, session, held):
                    await send(out)

            try:
                await self.app(scope, receive, hold)
            except BaseException:
                if not answered:
                    await self._give_up(state, session)
                raise

    async def _finish(
        self, state: dict[str, Any], session: Any, held: list[Message]
    ) -> list[Message]:
        """Store the answer (or give the key up) and commit; the messages to send."""
        start = held[0]
        body = b"".join(message.get("body", b"") for message in held[1:])
        status: int = start["status"]
        reservation: Reservation | None = state.get(RESERVATION_STATE)
        answer = [start, {"type": "http.response.body", "body": body}]
        try:
            if status >= 500:
                # Not stored: a retry may succeed. Nothing of the request commits.
                await session.rollback()
                if reservation is not None:
                    await release(session, reservation)
            elif reservation is not None:
                stored = StoredAnswer(
                    status_code=status,
                    headers=[
                        (name.decode("latin-1"), value.decode("latin-1"))
                        for name, value in start.get("headers", [])
                        if name.lower() not in _NOT_STORED
                    ],
                    body=body,
                    api_version=state.get("api_version"),
                )
                if not await store_answer(session, reservation, stored):
                    # The lease ran out and another attempt took the key over: this one's
                    # writes must not commit.
                    await session.rollback()
                    await session.commit()
                    taken = RequestInProgress(
                        f"A newer attempt with this {HEADER} took it over.",
                        param=HEADER,
                        headers={"Retry-After": str(RETRY_IN_PROGRESS_AFTER)},
                    )
                    return _messages(error_response(taken, headers=taken.headers))
            await session.commit()
        except Exception:
            logger.exception("storing the answer of an idempotent request failed")
            await self._give_up(state, session)
            return _messages(_crash())
        return answer

    async def _give_up(self, state: dict[str, Any], session: Any) -> None:
        """Roll the request back and give its key up (best effort: a key left reserved is
        taken over once its lease has run out)."""
        try:
            await session.rollback()
            reservation: Reservation | None = state.get(RESERVATION_STATE)
            if reservation is not None:
                await release(session, reservation)
                await session.commit()
        except Exception:
            logger.exception("giving up an idempotency key failed")
