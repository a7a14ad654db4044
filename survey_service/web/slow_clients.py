"""Deadlines for a request to arrive, which uvicorn does not have (issue 13).

uvicorn closes a connection idle between requests (``timeout_keep_alive``), but once a client
has sent one byte it waits for the rest for ever: a client that sends its headers or its body
a byte now and then ("slowloris") holds a connection, a task and its buffers as long as it
likes, and a few hundred such clients hold them all. :class:`DeadlineProtocol` is uvicorn's
own HTTP protocol with two deadlines:

- the **headers** must all have arrived ``header_timeout`` seconds after the connection opened
  (or after the first byte of a later request on a kept-alive connection);
- the **body** must all have arrived ``body_timeout`` seconds after the headers (time the
  server itself stops reading, because the app has not read what came, does not count).

A client that misses one gets ``408 Request Timeout`` (a short text in both languages: there
is no page to render yet) and the connection is closed. ``serve`` sets the deadlines from
``SURVEY_HEADER_TIMEOUT_SECONDS`` and ``SURVEY_BODY_TIMEOUT_SECONDS`` (:func:`configure`).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MESSAGE = (
    "The request took too long to arrive. Please try again.\n"
    "Заявката пристигна твърде бавно. Моля, опитайте отново.\n"
).encode()
RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(MESSAGE)).encode() + b"\r\nconnection: close\r\n"
    b"cache-control: no-store\r\n\r\n" + MESSAGE
)


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with deadlines on the arrival of headers and body.

    A deadline is a time kept on the connection; one timer, made only when none is pending
    or the pending one would fire after the new deadline, looks at it when it fires and
    waits on if it was moved. A kept-alive connection's requests, each of which sets and
    clears two deadlines, so make about one timer per ``header_timeout`` instead of two per
    request (``benchmarks/instructions.py``: ~20,000 instructions a request less). A
    deadline never fires early; it fires late only by the event loop's own delay."""

    header_timeout: float = 20.0
    body_timeout: float = 60.0
    _timer: asyncio.TimerHandle | None = None
    _deadline: float | None = None
    _waiting_for: float = 0.0

    def _arm(self, seconds: float) -> None:
        self._waiting_for = seconds
        self._deadline = deadline = self.loop.time() + seconds
        timer = self._timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._timer = self.loop.call_at(deadline, self._expired)

    def _disarm(self) -> None:
        self._deadline = None  # a pending timer then finds nothing to do

    def _expired(self) -> None:
        self._timer = None
        deadline = self._deadline
        if deadline is None or self.transport.is_closing():
            return
        if self.loop.time() < deadline:  # moved since the timer was made: wait for it
            self._timer = self.loop.call_at(deadline, self._expired)
            return
        if self.flow.read_paused:  # the server stopped reading, not the client: wait on
            self._arm(self._waiting_for)
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(RESPONSE)  # (the app then sees the client disconnected)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a later request on a kept-alive connection
            self._arm(self.header_timeout)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self.body_timeout)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()


def configure(header_timeout: float, body_timeout: float) -> type[DeadlineProtocol]:
    """Set the deadlines of this process's connections; the protocol class for uvicorn."""
    DeadlineProtocol.header_timeout = header_timeout
    DeadlineProtocol.body_timeout = body_timeout
    return DeadlineProtocol
