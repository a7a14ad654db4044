"""The protections every response passes through, each on a short path for the common case.

``benchmarks/instructions.py`` counts what the server executes per request of a citizen's
journey (GET form, POST answers, GET thank-you). Litestar's own CSRF middleware, compression
middleware and ``before_send`` hooks cost about a quarter of it, mostly in work a request
seldom needs: a ``Request`` object and every cookie parsed to read one, a wrapper around
``send`` that has nothing to add, every header parsed to learn that no ``Accept-Encoding``
was sent, a hook called per message through a loop. The same protections, cheaper:

- :class:`CSRFGuard`: Litestar's CSRF check, the same tokens, cookie and error. A GET whose
  cookie holds a token of the right form uses it without a ``Request`` or a ``send`` wrapper
  (a cookie of any other form is replaced by a new token, where Litestar would have put it
  into the page as it was); a POST whose cookie and form (or ``X-CSRFToken``) carry the same
  validly signed token is let through at once. Anything else goes to Litestar's code, which
  decides (and refuses with 403) as before.
- :class:`Gzip`: Litestar's gzip, looking for ``Accept-Encoding`` in the raw headers first.
- :class:`SecurityHeaders`: the security headers on every response, errors and 404s included
  (it wraps the whole app), and the access log line when it is on.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any

from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.enums import CompressionEncoding, ScopeType
from litestar.middleware.compression import CompressionMiddleware
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, CSRFMiddleware, generate_csrf_token
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from .errors import loggable
from .sent import GZIP_OK

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        b"frame-ancestors 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
#: A token as :func:`litestar.middleware.csrf.generate_csrf_token` makes it: 32 random bytes
#: and their HMAC-SHA-256, in lower-case hex. Only such a cookie is put into a page as it is.
TOKEN = re.compile(rb"[0-9a-f]{%d}" % (2 * CSRF_SECRET_LENGTH))

access_log = logging.getLogger("survey_service.access")


def cookie_value(header: bytes, name: bytes) -> bytes | None:
    """The value of cookie ``name`` in a ``Cookie`` header (the last one, as Litestar's
    parser keeps it), unparsed."""
    found = None
    for pair in header.split(b";"):
        key, sep, value = pair.partition(b"=")
        if sep and key.strip() == name:
            found = value.strip()
    return found


class CSRFGuard(CSRFMiddleware):
    """Litestar's :class:`CSRFMiddleware` with short paths for the common cases (see the
    module). Put it inside the middleware that parses form bodies (``FormBody``)."""

    def __init__(self, app: ASGIApp, config: CSRFConfig) -> None:
        super().__init__(app, config)
        self._secret = config.secret.encode()
        self._cookie = config.cookie_name.encode()
        self._header = config.header_name.lower().encode()

    def _decode_csrf_token(self, token: str) -> str | None:
        """The random part of a validly signed token (as Litestar's, one C call)."""
        if len(token) < CSRF_SECRET_LENGTH + 1:
            return None
        secret, signature = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
        expected = hmac.digest(self._secret, secret.encode(), "sha256").hex()
        return secret if hmac.compare_digest(signature, expected) else None

    def _excluded(self, scope: Scope) -> bool:
        """Whether the route opts out (``exclude_from_csrf``) or its path is excluded (the
        config's ``exclude``), as Litestar's CSRF middleware decides it."""
        handler = scope.get("route_handler")
        if handler is not None and handler.opt.get(self.config.exclude_from_csrf_key):
            return True
        if self.exclude is None:
            return False
        path = scope["raw_path"].decode() if getattr(handler, "is_mount", False) \
            else scope["path"]
        return bool(self.exclude.findall(path))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or self._excluded(scope):
            await self.app(scope, receive, send)
            return
        cookie: bytes | None = None
        header: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookie = cookie_value(value, self._cookie) if cookie is None else cookie
            elif name == self._header and header is None:
                header = value
        well_formed = cookie is not None and TOKEN.fullmatch(cookie) is not None
        state = ScopeState.from_scope(scope)
        if scope["method"] in self.config.safe_methods:
            if well_formed:
                assert cookie is not None
                state.csrf_token = cookie.decode()
                await self.app(scope, receive, send)
                return
            token = state.csrf_token = generate_csrf_token(secret=self.config.secret)
            await self.app(scope, receive, self.create_send_wrapper(send, token, None))
            return
        sent: Any = header.decode("latin-1") if header else None
        if sent is None and isinstance(state.form, dict):
            sent = state.form.get("_csrf_token")
            sent = sent[0] if isinstance(sent, list) and sent else sent
        if (
            well_formed
            and isinstance(sent, str)
            and self._csrf_tokens_match(sent, cookie.decode())  # type: ignore[union-attr]
        ):
            state.csrf_token = sent
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)  # Litestar's own check: 403, or through


class Gzip(CompressionMiddleware):
    """Litestar's compression middleware, passing a request that accepts no compression on
    without parsing its headers or wrapping ``send``; for one that accepts gzip, it marks the
    request (``sent.GZIP_OK``) and passes a response already compressed as it is."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept = value
                break
        config = self.config
        encoding = config.compression_facade.encoding
        if accept and encoding.encode() in accept:
            send = self._unless_compressed(send, encoding, scope)
        elif accept and config.gzip_fallback and b"gzip" in accept:
            send = self._unless_compressed(send, CompressionEncoding.GZIP, scope)
        await self.app(scope, receive, send)

    def _unless_compressed(self, send: Send, encoding: str, scope: Scope) -> Send:
        if encoding == CompressionEncoding.GZIP:
            scope["state"][GZIP_OK] = True
        compress: Send | None = None
        minimum = self.config.minimum_size

        async def either(message: Message) -> None:
            nonlocal compress
            if compress is None:  # the response's start: compressed already, too small, or not
                if message["type"] == "http.response.start" and _as_it_is(
                        message.get("headers", ()), minimum):
                    compress = send
                else:
                    compress = self.create_compression_send_wrapper(send, encoding, scope)
            await compress(message)

        return either


def _as_it_is(headers: Any, minimum: int) -> bool:
    """Whether a response goes out uncompressed: compressed already, or of a known length
    below the minimum (a 303's empty body: no gzip stream made for nothing)."""
    for name, value in headers:
        if name == b"content-encoding":
            return True
        if name == b"content-length" and value.isdigit() and int(value) < minimum:
            return True
    return False


def gzip_config(level: int, minimum_size: int, exclude: str, opt_key: str) -> CompressionConfig:
    return CompressionConfig(backend="gzip", gzip_compress_level=level,
                             minimum_size=minimum_size, exclude=exclude,
                             exclude_opt_key=opt_key, middleware_class=Gzip)


class SecurityHeaders:
    """Wraps the whole app: the security headers on every response, and one access log line
    per request (``log``) without client address, query string or codes."""

    def __init__(self, app: ASGIApp, log: bool = False) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        log = self.log

        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *SECURITY_HEADERS]
                if log:
                    access_log.info("%s %s %s", scope.get("method", ""),
                                    loggable(scope.get("path", "")), message["status"])
            await send(message)

        await self.app(scope, receive, headed)
