"""The client retry policy the soak applies (docs/operations.md), on scripted answers."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

from soak.retry_policy import Attempt, RetryPolicy, Verdict, classify_http, is_documented

# No real waiting: a zero backoff keeps the tests about decisions, not time.
FAST = RetryPolicy(initial_backoff=0.0, max_backoff=0.0, budget_seconds=5.0)


def scripted(*answers: Attempt) -> tuple[Callable[[], Awaitable[Attempt]], list[int]]:
    calls: list[int] = []

    async def attempt() -> Attempt:
        calls.append(1)
        return answers[min(len(calls), len(answers)) - 1]

    return attempt, calls


async def test_unavailable_is_retried_until_the_answer_comes() -> None:
    attempt, calls = scripted(
        Attempt(Verdict.RETRY_UNAVAILABLE, "HTTP 503 UNAVAILABLE"),
        Attempt(Verdict.RETRY_UNAVAILABLE, "connection ClientConnectorError"),
        Attempt(Verdict.OK, body={"info": {}}),
    )
    outcome = await FAST.call("probe_media_file", attempt)
    assert outcome.ok and outcome.body == {"info": {}} and len(calls) == 3
    assert (outcome.attempts, outcome.retried_unavailable, outcome.retried_exhausted) == (3, 2, 0)


async def test_resource_exhausted_waits_the_server_retry_after() -> None:
    attempt, _ = scripted(
        Attempt(Verdict.RETRY_EXHAUSTED, "HTTP 429 RESOURCE_EXHAUSTED", retry_after=0.0),
        Attempt(Verdict.OK),
    )
    outcome = await FAST.call("submit_render", attempt)
    assert outcome.ok and outcome.retried_exhausted == 1
    assert RetryPolicy().after_exhausted(2.5) == 2.5
    assert RetryPolicy().after_exhausted(None) == RetryPolicy().max_backoff


async def test_other_errors_are_final_and_not_retried() -> None:
    attempt, calls = scripted(Attempt(Verdict.FINAL_ERROR, "HTTP 499 CANCELLED"))
    outcome = await FAST.call("probe_media_file", attempt)
    assert not outcome.ok and outcome.kind == "HTTP 499 CANCELLED" and len(calls) == 1
    assert not is_documented(outcome.kind)


async def test_a_spent_budget_ends_the_call_and_says_so() -> None:
    attempt, _ = scripted(Attempt(Verdict.RETRY_UNAVAILABLE, "HTTP 503 UNAVAILABLE"))
    policy = RetryPolicy(initial_backoff=10.0, max_backoff=10.0, budget_seconds=0.0)
    outcome = await policy.call("probe_media_file", attempt)
    assert not outcome.ok and outcome.kind.endswith("(retry budget spent)")
    assert not is_documented(outcome.kind)


def test_only_back_pressure_is_a_documented_error() -> None:
    assert is_documented("HTTP 429 RESOURCE_EXHAUSTED")
    assert is_documented("gRPC RESOURCE_EXHAUSTED (retry budget spent)")
    assert not is_documented("HTTP 500 INTERNAL")
    assert [classify_http(s) for s in (200, 429, 503, 500, 404)] == [
        Verdict.OK,
        Verdict.RETRY_EXHAUSTED,
        Verdict.RETRY_UNAVAILABLE,
        Verdict.FINAL_ERROR,
        Verdict.FINAL_ERROR,
    ]


def test_backoff_grows_to_its_ceiling() -> None:
    policy = RetryPolicy(initial_backoff=0.2, max_backoff=5.0)
    rng = random.Random(7)
    ceilings = [policy.backoff(n, _Top()) for n in range(1, 8)]
    assert ceilings == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    assert all(0.0 <= policy.backoff(n, rng) <= 5.0 for n in range(1, 20))


class _Top:
    """A 'random' source that always draws the top of the range, to read the ceiling."""

    def uniform(self, low: float, high: float) -> float:
        return high
