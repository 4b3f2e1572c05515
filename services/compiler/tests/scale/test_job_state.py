from __future__ import annotations

import pytest
from svckit.errors import DataLoss
from tstudio_compiler.scale.domain.job_state import (
    JobState,
    JobStatus,
    cancel,
    record_segment,
    start,
    succeed,
    take_over_join,
)
from tstudio_compiler.scale.domain.lru import EntryUse, choose_evictions


def test_only_the_last_segment_moves_the_job_to_joining() -> None:
    state = JobState(job_id="j", segments_total=3)
    first = record_segment(state, 0, "/s/0.mp4", "w1")
    assert first.changed and not first.must_join and first.state.status is JobStatus.RUNNING
    second = record_segment(first.state, 2, "/s/2.mp4", "w2")
    last = record_segment(second.state, 1, "/s/1.mp4", "w3")
    assert last.must_join and last.state.status is JobStatus.JOINING
    assert last.state.joiner == "w3" and last.state.join_segment == 1
    assert last.state.segment_paths() == ["/s/0.mp4", "/s/1.mp4", "/s/2.mp4"]
    assert last.state.segments_by_worker() == {"w1": 1, "w2": 1, "w3": 1}


def test_a_redelivered_segment_changes_nothing() -> None:
    state = record_segment(JobState(job_id="j", segments_total=2), 0, "/a", "w1").state
    again = record_segment(state, 0, "/b", "w2")
    assert not again.changed and again.state.done[0].worker == "w1"


def test_only_the_joining_segments_task_takes_the_join_over() -> None:
    state = record_segment(JobState(job_id="j", segments_total=1), 0, "/a", "w1").state
    assert not take_over_join(state, 5, "w2").must_join
    taken = take_over_join(state, 0, "w2")
    assert taken.must_join and taken.state.joiner == "w2" and taken.state.join_attempts == 2


def test_finished_jobs_accept_no_more_changes() -> None:
    state = cancel(JobState(job_id="j", segments_total=2), now=1.0).state
    assert not record_segment(state, 0, "/a", "w").changed
    assert not succeed(state, {}, now=2.0).changed


def test_state_round_trips_and_garbage_is_data_loss() -> None:
    state = record_segment(JobState(job_id="j", segments_total=2, client_key="k"), 1, "/a", "w").state
    assert JobState.from_bytes(state.to_bytes()) == state
    with pytest.raises(DataLoss):
        JobState.from_bytes(b"{not json")


def test_out_of_range_segment_is_data_loss() -> None:
    with pytest.raises(DataLoss):
        record_segment(JobState(job_id="j", segments_total=2), 2, "/a", "w")


def test_lru_evicts_least_recently_used_until_it_fits() -> None:
    entries = {"a": EntryUse(40, 1.0), "b": EntryUse(40, 3.0), "c": EntryUse(40, 2.0)}
    assert choose_evictions(entries, 100) == ["a"]
    assert choose_evictions(entries, 40) == ["a", "c"]
    assert choose_evictions(entries, 40, protect={"a"}) == ["c", "b"]
    assert choose_evictions(entries, 200) == []


def test_start_moves_only_a_queued_job_to_running() -> None:
    started = start(JobState(job_id="j", segments_total=2))
    assert started.changed and started.state.status is JobStatus.RUNNING
    assert not start(started.state).changed
