"""The limits per client: their arithmetic, their memory bound, and what they keep."""

from __future__ import annotations

import pytest

from survey_service.storage import limits
from survey_service.storage.limits import MemoryLimits
from survey_service.web.limits import KEY_PERIOD, AttemptLimiter, ClientKeys, SubmissionLimiter


async def test_a_client_gets_its_allowance_then_one_more_per_share_of_the_window() -> None:
    limiter = SubmissionLimiter(limit=10, window=600)
    assert [await limiter.take("198.51.100.7", at=1000.0) for _ in range(10)] == [0.0] * 10
    wait = await limiter.take("198.51.100.7", at=1000.0)
    assert wait == 60.0 and SubmissionLimiter.retry_after(wait) == "60"
    assert await limiter.take("198.51.100.8", at=1000.0) == 0.0  # another client
    assert await limiter.take("198.51.100.7", at=1059.0) == 1.0  # refused: nothing counted
    assert await limiter.take("198.51.100.7", at=1060.0) == 0.0
    assert await limiter.take("198.51.100.7", at=1060.0) > 0
    assert [await limiter.take("198.51.100.7", at=1660.0) for _ in range(10)] == [0.0] * 10


async def test_an_ipv6_subscriber_is_counted_by_its_64_block() -> None:
    limiter = SubmissionLimiter(limit=2, window=600)
    assert await limiter.take("2001:db8:1:2::1", at=0.0) == 0.0
    assert await limiter.take("2001:db8:1:2:ffff::9", at=0.0) == 0.0
    assert await limiter.take("2001:db8:1:2:abcd::5", at=0.0) > 0  # same /64
    assert await limiter.take("2001:db8:1:3::1", at=0.0) == 0.0  # another /64


async def test_addresses_are_kept_only_as_keyed_hashes_and_memory_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "MAX_KEYS", 1000)
    counters = MemoryLimits()
    limiter = SubmissionLimiter(limit=5, window=600, counters=counters)
    for i in range(5000):  # one submission each, 1 s apart: none is stale within 600 s
        await limiter.take(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", at=float(i))
    assert len(counters) <= 1000
    assert all(isinstance(k, bytes) and len(k) == 16 for _, k in counters._tat)
    # without a secret, a process key of its own
    assert ClientKeys()("192.0.2.1") != ClientKeys()("192.0.2.1")


def test_the_keyed_hash_is_shared_by_processes_and_changes_with_the_day_and_the_rule() -> None:
    secret = "s" * 40
    one, other = ClientKeys(secret), ClientKeys(secret)
    day = 20_000 * KEY_PERIOD + 5.0
    assert one("192.0.2.1", "submit", day) == other("192.0.2.1", "submit", day)
    assert one("192.0.2.1", "submit", day) == one("192.0.2.1", "submit", day + 3600)
    assert one("192.0.2.1", "submit", day) != one("192.0.2.1", "submit", day + KEY_PERIOD)
    assert one("192.0.2.1", "submit", day) != one("192.0.2.1", "staff-code", day)
    assert one("192.0.2.1", "submit", day) != ClientKeys("t" * 40)("192.0.2.1", "submit", day)
    assert b"192.0.2.1" not in one("192.0.2.1", "submit", day)


async def test_failed_attempts_are_counted_per_client_and_overall_and_lift_by_themselves() -> None:
    limiter = AttemptLimiter(per_client=20, overall=600, window=600)
    for _ in range(19):
        assert not await limiter.failed("192.0.2.9", at=0.0)
    assert not await limiter.blocked("192.0.2.9", at=0.0)
    assert await limiter.failed("192.0.2.9", at=0.0)  # the 20th: now blocked
    for _ in range(1000):
        await limiter.failed("192.0.2.9", at=10.0)
    assert await limiter.blocked("192.0.2.9", at=10.0)
    assert not await limiter.blocked("192.0.2.10", at=10.0)
    assert await limiter.busy(at=10.0)
    # however long it went on: one more try a share of the window (600 / 20 s) after the
    # last failure, and the whole allowance again one window after it
    assert await limiter.blocked("192.0.2.9", at=39.0)
    assert not await limiter.blocked("192.0.2.9", at=40.0)
    assert await limiter.failed("192.0.2.9", at=40.0)
    assert not await limiter.busy(at=640.0)
    assert [await limiter.failed("192.0.2.9", at=640.0) for _ in range(20)] == [False] * 19 + [
        True]
