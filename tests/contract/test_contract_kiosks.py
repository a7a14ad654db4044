"""Contract: kiosks and their one-time enrolment links."""

from __future__ import annotations

import datetime as dt

from survey_service.storage import Store
from survey_service.storage.base import Kiosk

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def kiosk(n: int, label: str = "", hours: int = 24) -> Kiosk:
    return Kiosk(id=f"{n:022d}", label=label or f"Desk {n}", organisation="elena",
                 survey_id=None if n % 2 else "citizen-satisfaction",
                 link_expires=NOW + dt.timedelta(hours=hours))


async def test_a_link_enrols_once_before_it_expires(store: Store) -> None:
    assert await store.add_kiosk(kiosk(1), b"1" * 32)
    assert await store.add_kiosk(kiosk(2, hours=-1), b"2" * 32)
    assert (await store.kiosk_link(b"1" * 32)) == kiosk(1)
    assert await store.kiosk_link(b"9" * 32) is None
    enrolled = await store.enrol_kiosk(b"1" * 32, NOW)
    assert enrolled is not None and enrolled.enrolled and enrolled.id == kiosk(1).id
    assert await store.enrol_kiosk(b"1" * 32, NOW) is None  # used
    assert await store.enrol_kiosk(b"2" * 32, NOW) is None  # expired
    assert await store.enrol_kiosk(b"9" * 32, NOW) is None  # unknown
    assert [(k.label, k.enrolled) for k in await store.kiosks()] == [
        ("Desk 1", True), ("Desk 2", False)]


async def test_a_label_names_one_kiosk_in_use(store: Store) -> None:
    assert await store.add_kiosk(kiosk(1, "Front desk"), b"1" * 32)
    assert not await store.add_kiosk(kiosk(2, "Front desk"), b"2" * 32)
    assert await store.revoke_kiosk("Front desk")
    assert not await store.revoke_kiosk("Front desk")  # revoked already
    assert await store.enrol_kiosk(b"1" * 32, NOW) is None  # a revoked kiosk's link
    assert await store.add_kiosk(kiosk(3, "Front desk"), b"3" * 32)  # the label again
    assert [(k.label, k.revoked) for k in await store.kiosks()] == [
        ("Front desk", True), ("Front desk", False)]
