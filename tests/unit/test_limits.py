"""The limits per client: their arithmetic, their memory bound, and what they keep."""

from __future__ import annotations

import pytest

from survey_service.web import limits
from survey_service.web.limits import AttemptLimiter, ClientKeys, SubmissionLimiter


def test_a_client_gets_its_allowance_then_one_more_per_share_of_the_window() -> None:
    limiter = SubmissionLimiter(limit=10, window=600)
    assert [limiter.take("198.51.100.7", at=1000.0) for _ in range(10)] == [0.0] * 10
    wait = limiter.take("198.51.100.7", at=1000.0)
    assert wait == 60.0 and SubmissionLimiter.retry_after(wait) == "60"
    assert limiter.take("198.51.100.8", at=1000.0) == 0.0  # another client is not affected
    assert limiter.take("198.51.100.7", at=1059.0) == 1.0  # refused: nothing counted
    assert limiter.take("198.51.100.7", at=1060.0) == 0.0
    assert limiter.take("198.51.100.7", at=1060.0) > 0
    assert [limiter.take("198.51.100.7", at=1660.0) for _ in range(10)] == [0.0] * 10


def test_an_ipv6_subscriber_is_counted_by_its_64_block() -> None:
    limiter = SubmissionLimiter(limit=2, window=600)
    assert limiter.take("2001:db8:1:2::1", at=0.0) == 0.0
    assert limiter.take("2001:db8:1:2:ffff::9", at=0.0) == 0.0
    assert limiter.take("2001:db8:1:2:abcd::5", at=0.0) > 0  # same /64
    assert limiter.take("2001:db8:1:3::1", at=0.0) == 0.0  # another /64


def test_addresses_are_kept_only_as_keyed_hashes_and_memory_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "MAX_CLIENTS", 1000)
    limiter = SubmissionLimiter(limit=5, window=600)
    for i in range(5000):  # one submission each, 1 s apart: none is stale within 600 s
        limiter.take(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", at=float(i))
    assert len(limiter._tat) <= 1000
    assert all(isinstance(k, bytes) and len(k) == 16 for k in limiter._tat)
    # a process key of its own: the same address hashes differently in another process
    assert ClientKeys()("192.0.2.1") != ClientKeys()("192.0.2.1")


def test_failed_attempts_are_counted_per_client_and_bounded() -> None:
    limiter = AttemptLimiter(per_client=20, overall=600, window=600)
    for _ in range(19):
        limiter.failed("192.0.2.9")
    assert not limiter.blocked("192.0.2.9")
    for _ in range(1000):
        limiter.failed("192.0.2.9")
    assert limiter.blocked("192.0.2.9") and not limiter.blocked("192.0.2.10")
    assert limiter.busy() and len(limiter._all) == 600
