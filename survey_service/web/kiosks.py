"""Which front-desk kiosk a device is: its signed cookie, checked against the kiosks in use
(see :mod:`survey_service.services.kiosks`)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie

from ..services import kiosks as service
from ..settings import Settings
from ..storage.base import Kiosk, Store


class KioskBook:
    """The kiosks in use, as the running server knows them: re-read from the store at most
    every ``SURVEY_WAVE_REFRESH_SECONDS``, and only when a request carries a kiosk cookie
    (a revocation from the CLI takes effect within that time)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.secret = store, settings.secret_key
        self.refresh_seconds = settings.wave_refresh_seconds
        self.secure = settings.public_url.startswith("https://")
        self.cookie = f"__Host-{service.COOKIE}" if self.secure else service.COOKIE
        self._cookie_bytes = self.cookie.encode()
        self._active: dict[str, Kiosk] = {}
        self._read_at = -1e18
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        async with self._lock:
            at = time.monotonic()
            if at - self._read_at < self.refresh_seconds:
                return
            kiosks = await self.store.kiosks()
            self._active = {k.id: k for k in kiosks if k.enrolled and not k.revoked}
            self._read_at = at

    async def device(self, request: Request[Any, Any, Any]) -> Kiosk | None:
        """The kiosk this device was enrolled as, if its cookie is genuine and the kiosk is
        still in use; otherwise None (the device is an ordinary web browser)."""
        # most requests carry no kiosk cookie: seen in the raw header without parsing cookies
        if not any(n == b"cookie" and self._cookie_bytes in v for n, v in request.scope["headers"]):
            return None
        value = request.cookies.get(self.cookie)
        if not value:
            return None
        kiosk_id = service.cookie_kiosk_id(self.secret, value)
        if kiosk_id is None:
            return None
        if time.monotonic() - self._read_at >= self.refresh_seconds:
            await self._refresh()
        return self._active.get(kiosk_id)

    async def serves(self, request: Request[Any, Any, Any], org: str, survey_id: str) -> bool:
        """Whether this device is a kiosk in use for this organisation and survey."""
        kiosk = await self.device(request)
        return (
            kiosk is not None
            and kiosk.organisation == org
            and kiosk.survey_id in (None, survey_id)
        )

    def enrolled(self, kiosk: Kiosk) -> Cookie:
        """Know a kiosk just enrolled at once; the cookie its device keeps."""
        self._active[kiosk.id] = kiosk
        return Cookie(
            key=self.cookie,
            value=service.sign_cookie(self.secret, kiosk.id),
            max_age=service.COOKIE_SECONDS,
            path="/",
            httponly=True,
            secure=self.secure,
            samesite="lax",
        )
