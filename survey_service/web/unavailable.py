"""The page for a submission that could not be stored now (disk full, database locked too long,
read-only file): 503 with the same page, every value the respondent typed kept (earlier pages'
answers in hidden fields, as always), the same one-time key (so sending it again stores one
response) and a "try again" message in the respondent's language. Never a 500."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from litestar import Response

from ..surveys.answers import Answers
from .messages import N_

if TYPE_CHECKING:
    from .flow import StepView

log = logging.getLogger(__name__)

TRY_AGAIN = N_(
    "Your answers could not be saved just now. Nothing you entered is lost: please press "
    "“Send answers” again in a minute."
)
RETRY_AFTER_SECONDS = 30


def unavailable_page(
    view: StepView,
    step: int,
    answers: Answers,
    raw: dict[str, list[str]],
    csrf: str,
    key: str,
    reason: BaseException,
) -> Response[bytes]:
    log.warning("a submission could not be stored (answered 503, form kept): %s", reason)
    context = view.context(step, answers, raw, [], csrf, key)
    context["error_list"] = [
        {"item": "survey", "message": view.renderer.gettext(view.lang, TRY_AGAIN)}
    ]
    body = view.renderer.render(view.lang, "survey/form.html", **context)
    return Response(
        body.encode(),
        status_code=503,
        media_type="text/html",
        headers={"cache-control": "no-store", "retry-after": str(RETRY_AFTER_SECONDS)},
    )
