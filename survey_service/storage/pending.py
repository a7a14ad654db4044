"""Sealed answers of open staff waves, one SQLite file per wave beside the main database.

``<database>.pending/<hash of the wave id>.sqlite3`` (folder 0700, files 0600) holds a wave's
sealed answers while it is open. Closing the wave moves them into the main database's
``responses`` in one transaction, then destroys the whole file: its pages are overwritten,
synced and unlinked, so the close costs the wave, never a rewrite of the main database.

Every write to a pending file happens while the main database's write lock is held (the
submission marks its code used in the same main transaction; the mix flips the wave to
``mixed`` in the same main transaction), so a submission and a mix, in any process, never
interleave. The pending file uses a persistent rollback journal (``journal_mode=PERSIST``),
overwritten in place, rather than a WAL that SQLite would unlink (and leave on the disk's free
blocks) at every close of a connection.

A sealed row's id is also written, in the main transaction, to ``pending_marks``: the mix takes
only marked rows, so a crash between the pending file's commit and the main commit leaves an
answer that counts nowhere (its code is still unused and can be sent again).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

_CHUNK = 1 << 20


class PendingFiles:
    """The per-wave files of sealed answers (kept in memory for a ``:memory:`` database)."""

    def __init__(self, database: str) -> None:
        self.memory: dict[str, dict[bytes, bytes]] | None = None
        if database == ":memory:":
            self.memory = {}
            self.folder = Path()
        else:
            self.folder = Path(database + ".pending")

    def path(self, wave_id: str) -> Path:
        return self.folder / (hashlib.sha256(wave_id.encode()).hexdigest()[:32] + ".sqlite3")

    def _connect(self, path: Path) -> sqlite3.Connection:
        # mode=rw: never create a file here (one destroyed meanwhile must stay destroyed)
        conn = sqlite3.connect(
            f"file:{quote(str(path))}?mode=rw", uri=True, isolation_level=None, timeout=10.0
        )
        for pragma in (
            "journal_mode = PERSIST",
            "synchronous = FULL",
            "secure_delete = ON",
        ):
            conn.execute(f"PRAGMA {pragma}").fetchall()
        return conn

    def _open(self, wave_id: str, create: bool) -> sqlite3.Connection | None:
        path = self.path(wave_id)
        if not path.exists():
            if not create:
                return None
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = self._connect(path)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS sealed (id BLOB PRIMARY KEY, blob BLOB NOT NULL)"
            " WITHOUT ROWID"
        )
        return conn

    def add(self, wave_id: str, row_id: bytes, blob: bytes) -> None:
        """Keep one sealed answer, durably (committed and synced) before returning."""
        if self.memory is not None:
            self.memory.setdefault(wave_id, {})[row_id] = blob
            return
        conn = self._open(wave_id, create=True)
        assert conn is not None
        try:
            conn.execute("INSERT INTO sealed (id, blob) VALUES (?, ?)", (row_id, blob))
        finally:
            conn.close()

    def remove(self, wave_id: str, row_id: bytes) -> None:
        """Take back an answer whose main transaction failed."""
        if self.memory is not None:
            self.memory.get(wave_id, {}).pop(row_id, None)
            return
        conn = self._open(wave_id, create=False)
        if conn is not None:
            try:
                conn.execute("DELETE FROM sealed WHERE id = ?", (row_id,))
            finally:
                conn.close()

    def read(self, wave_id: str) -> dict[bytes, bytes]:
        """Every sealed answer of a wave: row id -> sealed blob."""
        if self.memory is not None:
            return dict(self.memory.get(wave_id, {}))
        conn = self._open(wave_id, create=False)
        if conn is None:
            return {}
        try:
            return {bytes(r[0]): bytes(r[1]) for r in conn.execute("SELECT id, blob FROM sealed")}
        finally:
            conn.close()

    def exists(self, wave_id: str) -> bool:
        if self.memory is not None:
            return wave_id in self.memory
        return any(Path(f"{self.path(wave_id)}{s}").exists() for s in ("", *_SIDE_FILES))

    def destroy(self, wave_id: str) -> bool:
        """Overwrite, sync and unlink a wave's file and its journal; True if there was one."""
        if self.memory is not None:
            return self.memory.pop(wave_id, None) is not None
        found = False
        for suffix in ("", *_SIDE_FILES):
            found |= shred(Path(f"{self.path(wave_id)}{suffix}"))
        if found:
            _sync_dir(self.folder)
        return found


_SIDE_FILES = ("-journal", "-wal", "-shm")


def shred(path: Path) -> bool:
    """Overwrite a file's bytes in place with zeros, sync, then unlink it."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return False
    try:
        size = os.fstat(fd).st_size
        zeros = bytes(min(size, _CHUNK))
        done = 0
        while done < size:
            done += os.write(fd, zeros[: min(_CHUNK, size - done)])
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
    return True


def _sync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
