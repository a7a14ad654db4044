"""What the demo's training waves add to the generic synthetic answers (issue #19 §5): a
knowledge check answered before and after the course, with a rise in right answers and the
same self-made panel code from most participants both times; "before the training" ratings
below "now" ones; and the attendance of each event recorded as fieldwork."""

from __future__ import annotations

import datetime as dt

import msgspec
import numpy as np

from ..settings import Settings
from ..storage.base import FieldworkDay, NewResponse, Store
from ..surveys.coding import encode_codes
from ..surveys.knowledge import knowledge_questions, then_now_pairs
from ..surveys.model import Survey
from ..surveys.tokens import panel_hash

RIGHT = {"pre": 0.4, "post": 0.75}  # chance of a right answer to each knowledge question
PANEL_SHARE = 0.8  # of the participants give the same panel code before and after
ABSENT = 2  # attended but did not answer, per organisation and event


def knowledge_phases(survey: Survey) -> bool:
    """Whether the demo gives this survey's waves before and after the course."""
    return bool(knowledge_questions(survey))


class Adjust:
    """Changes one synthetic response of a training wave (see the module's docstring)."""

    def __init__(self, settings: Settings, survey: Survey, phase: str,
                 rng: np.random.Generator) -> None:
        self.settings, self.survey, self.phase, self.rng = settings, survey, phase, rng

    def __call__(self, org: str, index: int, response: NewResponse) -> NewResponse:
        answers = dict(response.answers)
        for q in knowledge_questions(self.survey):
            wrong = [o.code for o in q.options if o.code != q.correct]
            right = self.rng.random() < RIGHT.get(self.phase, 0.5)
            answers[q.id] = q.correct if right else str(self.rng.choice(wrong))  # type: ignore[assignment]
        for then, now in then_now_pairs(self.survey):
            value = answers.get(now)
            if isinstance(value, int) and not isinstance(value, bool):
                answers[then] = max(1, value - int(self.rng.choice([0, 1, 1, 2])))
        panel = None
        if self.phase in RIGHT and self.rng.random() < PANEL_SHARE:
            code = f"DEMO{org.upper()[:4]}{index:04d}"
            panel = panel_hash(code, self.settings.secret_key, self.survey.panel_salt)
        return msgspec.structs.replace(response, answers=answers, panel=panel,
                                       codes=encode_codes(self.survey, answers))


async def record_attendance(store: Store, wave_id: str, day: str, people: dict[str, int]
                            ) -> None:
    """The participants of an event per organisation, as a trainer records them."""
    await store.save_fieldwork([
        FieldworkDay(wave_id=wave_id, organisation=org, day=dt.date.fromisoformat(day),
                     attended=n + ABSENT, source="clerk", entered_by="demo")
        for org, n in people.items()])
