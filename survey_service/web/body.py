"""Form bodies parsed once, faster: an ASGI middleware in front of Litestar's.

Profiling the citizen journey (``benchmarks/profile_journey.py``) showed Litestar parsing each
urlencoded POST with ``urllib.parse.parse_qsl`` (which unquotes every name and value, and a
survey page sends ~30 of them) as the largest single cost of a submission after rendering. This
middleware reads a URL-encoded POST body whose ``Content-Length`` is within the app's limit,
parses it unquoting only the fields that need it (those with ``%`` or ``+``; the result is the
same as ``parse_qsl(..., keep_blank_values=True)``), and leaves body and form in Litestar's
connection state, where the CSRF middleware and ``request.form()`` look first. Anything else
(another type, no or a larger length, a body that does not match its length) passes through
untouched, with what was read given back, for Litestar to judge.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_plus

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

URLENCODED = b"application/x-www-form-urlencoded"


class ParsedForm(dict[str, Any]):
    """A form parsed here: strings only (no files), so nothing to close afterwards."""


#: Where a handler that took a ``ParsedForm`` out of Litestar's connection state leaves it
#: (the request's ``state``), for the error pages that read it after the handler.
TAKEN = "survey_form"


def sent_form(scope: Scope) -> dict[str, Any] | None:
    """The urlencoded form this request sent, if it was parsed (by Litestar or here)."""
    form = ScopeState.from_scope(scope).form
    if isinstance(form, dict):
        return form
    taken = scope.get("state", {}).get(TAKEN)
    return taken if isinstance(taken, dict) else None


def unquote_value(value: str) -> str:
    """``unquote_plus(value)``, the same result, faster for a long escaped value (a comment in
    Cyrillic is all ``%XX``; ``unquote_plus`` decodes it escape by escape in Python, ~24 µs
    for a 70-letter comment): the escapes are handed to the C codec ``unicode_escape`` as
    ``\\xXX`` (every backslash of the value escaped first), giving the bytes, then UTF-8."""
    if not value.isascii():
        return unquote_plus(value)
    escaped = value.replace("\\", "%5C").replace("+", " ").replace("%", "\\x")
    try:
        raw = escaped.encode("ascii").decode("unicode_escape")
    except UnicodeDecodeError:  # a '%' not followed by two hex digits: kept as it is
        return unquote_plus(value)
    return raw.encode("latin-1").decode("utf-8", "replace")


def parse_form(body: bytes) -> dict[str, Any]:
    """Litestar's form of an urlencoded body: a name -> its value, or its values if several."""
    out: dict[str, Any] = {}
    for pair in body.decode("latin-1").split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "%" in name or "+" in name:
            name = unquote_value(name)
        if "%" in value or "+" in value:
            value = unquote_value(value)
        seen = out.get(name)
        if seen is None:
            out[name] = value
        elif isinstance(seen, list):
            seen.append(value)
        else:
            out[name] = [seen, value]
    return out


def _replay(messages: list[Any], receive: Receive) -> Callable[[], Awaitable[Any]]:
    """``receive`` giving back what was read before asking the client for more."""
    queue = list(messages)

    async def again() -> Any:
        return queue.pop(0) if queue else await receive()

    return again


class FormBody:
    """The middleware (see the module); ``max_bytes`` is the app's body limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        length, urlencoded = -1, False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = int(value) if value.isdigit() else -1
            elif name == b"content-type":
                urlencoded = value.partition(b";")[0].strip().lower() == URLENCODED
        if not urlencoded or not 0 <= length <= self.max_bytes:
            await self.app(scope, receive, send)
            return
        messages: list[Any] = []
        chunks: list[bytes] = []
        size = 0
        while size <= length:
            message: Any = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if not message.get("more_body", False):
                break
        last = messages[-1]
        if size != length or last["type"] != "http.request" or last.get("more_body", False):
            await self.app(scope, _replay(messages, receive), send)
            return
        body = b"".join(chunks)
        state = ScopeState.from_scope(scope)
        state.body = body
        state.form = ParsedForm(parse_form(body))
        await self.app(scope, _replay(messages, receive), send)
