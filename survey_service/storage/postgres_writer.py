"""The PostgreSQL store's group commit: a queue of submissions and the writer that commits
them in batches (a mix-in of :class:`~.postgres.PostgresStore`).

The writer takes everything queued (at most :data:`MAX_BATCH`), inserts it with one statement,
so one transaction and one WAL flush, then wakes every waiting request. Rows go in in the
order of their one-time keys: two batches (of two writers or two processes) holding the same
keys then wait for each other in one order and never deadlock; one that still is chosen as a
deadlock victim is sent again (at most :data:`RETRIES` times). A batch whose
connection is lost mid-statement is sent once more on a new connection; a batch that breaks a
constraint is split, so that one bad submission fails only itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

from .base import NewResponse, StoreUnavailable
from .postgres_rows import INSERT_RESPONSES, columns

log = logging.getLogger(__name__)

MAX_BATCH = 1000  # submissions per commit at most, so that one commit stays short
RETRIES = 3  # times a batch rolled back by the server (a deadlock victim) is sent again

Row = tuple[Any, ...]
#: Errors after which a connection is gone, whether or not its last statement committed.
LOST = (asyncpg.PostgresConnectionError, asyncpg.OperatorInterventionError,  # terminated
         asyncpg.InterfaceError, ConnectionError,  # "connection is closed", a reset socket
         asyncpg.InternalClientError)  # "cannot switch to state 12": a session ended mid-query
#: Errors after which a write cannot be done now (the server or the connection is gone, the
#: database is read-only: a replica, ``default_transaction_read_only``; a full disk, too many
#: connections): the respondent is asked to send the same form again.
UNAVAILABLE = (
    OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError, asyncpg.ReadOnlySQLTransactionError,
    asyncpg.InsufficientResourcesError, asyncpg.CannotConnectNowError,
    asyncpg.TransactionRollbackError,  # still a deadlock victim after every retry
    asyncpg.InternalClientError,  # a connection confused by its session ending mid-query
)


def one_line(exc: BaseException) -> str:
    """An error as one line."""
    return " ".join(str(exc).split()) or type(exc).__name__


class GroupCommit:
    """Needs the store's writer connections, a way to connect, and the row encoder."""

    _writer_conns: list[asyncpg.Connection]
    _tasks: list[asyncio.Task[None]]
    _queue: list[tuple[Row, asyncio.Future[None]]]
    _wakeup: asyncio.Event
    _closing: bool
    _commits: int
    _written: int
    _row: Callable[[NewResponse], Row]

    async def _connect(self) -> asyncpg.Connection:
        raise NotImplementedError

    async def submit(self, response: NewResponse) -> None:
        if not self._tasks or self._closing or self._tasks[0].done():
            raise StoreUnavailable("store is not open")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((self._row(response), future))
        self._wakeup.set()
        try:
            await future
        except UNAVAILABLE as exc:
            raise StoreUnavailable(one_line(exc)) from exc

    async def _write_loop(self, n: int) -> None:
        while True:
            while not self._queue:
                if self._closing:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                await self._insert(n, batch)
            except asyncio.CancelledError:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(StoreUnavailable("store closed before commit"))
                raise

    async def _insert(self, n: int, batch: list[tuple[Row, asyncio.Future[None]]]) -> None:
        """One statement (one commit) for the batch. If the connection is lost (a restarted
        server, a killed backend, a fail-over), the batch is sent again once on a new one:
        safe even if the first COMMIT went through, as every row's one-time key is already
        there then and stores nothing. If it fails and holds more than one submission, each
        is tried alone, so that one bad submission fails only itself."""
        values = columns(sorted((row for row, _ in batch), key=_submission_key))
        try:
            for attempt in range(RETRIES + 1):
                try:
                    await (await self._writer(n)).execute(INSERT_RESPONSES, *values)
                    break
                except LOST as exc:
                    log.warning("writer connection lost, sending the batch again: %s", exc)
                    self._writer_conns[n].terminate()
                    await (await self._writer(n)).execute(INSERT_RESPONSES, *values)
                    break
                except asyncpg.TransactionRollbackError as exc:
                    if attempt == RETRIES:
                        raise
                    log.warning("batch rolled back by the server, sending it again: %s",
                                one_line(exc))
        except Exception as exc:
            if len(batch) > 1 and isinstance(exc, asyncpg.IntegrityConstraintViolationError):
                for one in batch:
                    await self._insert(n, [one])
                return
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self._commits += 1
        self._written += len(batch)
        for _, future in batch:
            if not future.done():
                future.set_result(None)

    async def _writer(self, n: int) -> asyncpg.Connection:
        """Writer ``n``'s connection, made again if the server closed it."""
        conn = self._writer_conns[n]
        if conn.is_closed():
            conn = self._writer_conns[n] = await self._connect()
        return conn


def _submission_key(row: Row) -> str:
    """The one-time key of a row of :func:`~.postgres_rows.response_row` (its second value)."""
    key: str = row[1]
    return key
