"""The waves on the public results page: published, published again, unpublished."""

from __future__ import annotations

import datetime as dt

from survey_service.storage import Store
from survey_service.storage.publications import Publication

AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


async def test_a_wave_is_published_republished_and_unpublished(store: Store) -> None:
    assert await store.publications() == {}
    assert await store.unpublish("w") is False
    await store.publish(Publication(wave_id="w", published_at=AT, actor="root"))
    await store.publish(Publication(wave_id="a", published_at=AT, actor="root"))
    later = AT + dt.timedelta(days=1)
    await store.publish(Publication(wave_id="w", published_at=later, actor="ana"))  # again
    found = await store.publications()
    assert list(found) == ["a", "w"]
    assert found["w"].actor == "ana" and found["w"].published_at == later
    assert found["w"].published_at.tzinfo is not None
    assert await store.unpublish("w") is True
    assert await store.unpublish("w") is False
    assert list(await store.publications()) == ["a"]
