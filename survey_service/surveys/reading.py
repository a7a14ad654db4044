"""Read one TOML file of ``forms/`` or say in one line why it cannot be read (pure: no output).

A folder named ``x.toml``, a dangling symbolic link, a link loop, a FIFO, a huge file or a
deeply nested array must give the operator one clear line, never a traceback or a hang.
"""

from __future__ import annotations

import errno
import stat
import tomllib
from pathlib import Path
from typing import Any

#: Larger files are refused unread (the shipped surveys are about 20 KB).
MAX_FILE_BYTES = 1_000_000


class UnreadableFile(Exception):
    """A forms file that cannot be read or parsed; the message is one line without the name."""


def _why_not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be opened as a forms file, or ``None`` for a regular file. Checked
    before opening, so that a FIFO cannot make the reader wait forever."""
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            return "is a symbolic link to a file that does not exist"
        return "file not found"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop (the link leads back to itself)"
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(st.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    if st.st_size > MAX_FILE_BYTES:
        return f"is too large ({st.st_size:,} bytes; a forms file is at most {MAX_FILE_BYTES:,})"
    return None


def read_toml(path: Path) -> dict[str, Any]:
    """Parse ``path`` as UTF-8 TOML (a byte order mark is allowed); raise
    :class:`UnreadableFile` with a one-line reason otherwise."""
    why = _why_not_a_file(path)
    if why is not None:
        raise UnreadableFile(why)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise UnreadableFile("the file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise UnreadableFile(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise UnreadableFile("arrays or tables are nested too deeply") from None
    except OSError as exc:
        raise UnreadableFile(f"cannot be read: {exc.strerror or exc}") from None
