"""Respondents' side: whoever answers a survey, without signing in.

- ``citizen``: citizen survey forms (web, front-desk kiosk, typing in paper questionnaires),
  thank-you pages and the printable paper form;
- ``staff``: staff and training surveys entered with an invitation code;
- ``kiosk``: the one-time link that makes a device a front-desk kiosk;
- ``results``: the public results page of each survey (published waves only);
- ``info``: the start page, privacy notice, accessibility statement and liveness probe.
"""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from .citizen import CitizenController
from .info import InfoController
from .kiosk import KioskController
from .results import ResultsController
from .staff import StaffController

route_handlers: list[ControllerRouterHandler] = [
    InfoController,
    CitizenController,
    StaffController,
    KioskController,
    ResultsController,
]
