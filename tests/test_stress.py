"""Stress: many threads on one tracker, and parallel conversions each with its own tracker."""

from __future__ import annotations

import json
import threading

import pytest

from harptab_nb.tracker import STEPS, ProgressTracker

N_THREADS = 8
N_UPDATES = 10_000

# the 8 substeps the hammering threads write to (one each)
SUBS = [(sid, sub) for sid, _n, subs in STEPS for sub in subs][:N_THREADS]


def _hammer(tracker: ProgressTracker, i: int, barrier: threading.Barrier) -> None:
    step_id, sub_id = SUBS[i]
    barrier.wait()
    for j in range(N_UPDATES):
        tracker.update_substep_progress(step_id, sub_id, j % 101, f"t{i}:{j}")


def _check_consistent(doc: dict) -> None:
    """Every substep's message and progress come from the same single update."""
    json.dumps(doc)
    for step in doc["steps"]:
        for sub in step["substeps"]:
            if not sub["message"]:
                assert sub["progress"] == 0
                continue
            owner, j = sub["message"][1:].split(":")
            assert SUBS[int(owner)][1] == sub["id"], "cross-talk between threads"
            assert sub["progress"] == int(j) % 101, "torn update"
        subs = step["substeps"]
        if subs:
            assert step["progress"] == sum(s["progress"] for s in subs) // len(subs)
    assert doc["overall_progress"] == sum(s["progress"] for s in doc["steps"]) // 7


@pytest.mark.parametrize("with_subscriber", [False, True])
def test_eight_threads_hammer_one_tracker(with_subscriber: bool):
    tracker = ProgressTracker("hammer")
    events: list[dict] = []
    if with_subscriber:
        tracker.subscribe(events.append)
    barrier = threading.Barrier(N_THREADS + 1)
    stop = threading.Event()
    snapshots: list[dict] = []
    reader_errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not (stop.is_set() and snapshots):  # at least one read
                doc = tracker.to_json()
                _check_consistent(doc)
                snapshots.append(doc)
        except BaseException as exc:  # reported below
            reader_errors.append(exc)

    threads = [threading.Thread(target=_hammer, args=(tracker, i, barrier))
               for i in range(N_THREADS)]
    rd = threading.Thread(target=reader)
    for th in threads:
        th.start()
    rd.start()
    barrier.wait()
    for th in threads:
        th.join()
    stop.set()
    rd.join()
    assert not reader_errors, reader_errors[0]
    assert len(snapshots) > 0

    # no lost update: every call changed the message, so every call counts once
    assert tracker.version == N_THREADS * N_UPDATES
    final = tracker.to_json()
    _check_consistent(final)
    for i, (step_id, sub_id) in enumerate(SUBS):
        step = next(s for s in final["steps"] if s["id"] == step_id)
        sub = next(s for s in step["substeps"] if s["id"] == sub_id)
        assert sub["message"] == f"t{i}:{N_UPDATES - 1}"
        assert sub["progress"] == (N_UPDATES - 1) % 101

    if with_subscriber:
        # every update delivered exactly once, in order, to the right substep
        assert [e["seq"] for e in events] == list(range(1, N_THREADS * N_UPDATES + 1))
        per_thread: dict[int, list[int]] = {i: [] for i in range(N_THREADS)}
        for e in events:
            owner, j = e["changes"]["message"][1:].split(":")
            assert SUBS[int(owner)] == (e["step"], e["substep"])
            per_thread[int(owner)].append(int(j))
        for i in range(N_THREADS):
            assert per_thread[i] == list(range(N_UPDATES))


@pytest.mark.slow
def test_eight_conversions_in_parallel_with_eight_hammering_threads(tmp_path, monkeypatch):
    """8 threads each convert their own tune (own tracker) while 8 others hammer a shared
    tracker: every conversion completes, each tracker only ever sees its own session,
    the hammered tracker loses nothing."""
    from harptab_nb.pipeline.runner import convert

    monkeypatch.setenv("HARPTAB_HOME", str(tmp_path / "home"))
    out = tmp_path / "out"
    hammered = ProgressTracker("hammered")
    trackers = [ProgressTracker(f"conv-{i}") for i in range(N_THREADS)]
    from test_tracker import assert_shape

    events: list[list[dict]] = [[] for _ in range(N_THREADS)]
    errors: list[BaseException] = []

    def watcher(t: ProgressTracker, evs: list[dict]) -> object:
        """On every event of a conversion (in its own thread, while it runs), its
        status JSON is well formed and names its own session."""
        def on_event(event: dict) -> None:
            evs.append(event)
            try:
                doc = t.to_json()
                assert_shape(doc)
                assert doc["session_id"] == t.session_id == event["session_id"]
            except BaseException as exc:  # a listener's error would only be logged
                errors.append(exc)
        return on_event

    for t, evs in zip(trackers, events, strict=True):
        t.subscribe(watcher(t, evs))
    results: list = [None] * N_THREADS
    barrier = threading.Barrier(2 * N_THREADS)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = convert(f"corpus:airdsAirs/book1.abc#{i + 1}", output_dir=out,
                                 name=f"tune{i}", tracker=trackers[i])
        except BaseException as exc:
            errors.append(exc)

    stop = threading.Event()
    reads = [0]

    def reader() -> None:
        """While the hammering goes on, the shared tracker's JSON stays consistent (a
        lock is not fair: the reader may be starved, so it reads at least once)."""
        try:
            while not (stop.is_set() and reads[0]):
                _check_consistent(hammered.to_json())
                reads[0] += 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N_THREADS)]
    threads += [threading.Thread(target=_hammer, args=(hammered, i, barrier))
                for i in range(N_THREADS)]
    rd = threading.Thread(target=reader)
    for th in threads:
        th.start()
    rd.start()
    for th in threads:
        th.join()
    stop.set()
    rd.join()
    assert not errors, errors[0]
    assert reads[0] > 0 and all(len(evs) > 20 for evs in events)

    assert hammered.version == N_THREADS * N_UPDATES
    _check_consistent(hammered.to_json())
    pdfs = set()
    for i, res in enumerate(results):
        assert res.status == "completed", (i, res)
        doc = res.tracker.to_json()
        assert doc["session_id"] == f"conv-{i}" and doc["overall_progress"] == 100
        assert all(s["status"] == "completed" for s in doc["steps"])
        assert {e["session_id"] for e in events[i]} == {f"conv-{i}"}
        seq = [e["seq"] for e in events[i]]
        assert seq == list(range(1, len(seq) + 1))
        assert res.score.source.endswith(f"#{i + 1}")
        data = json.loads(res.json.read_text(encoding="utf-8"))
        assert data["status"]["session_id"] == f"conv-{i}"
        assert [n["tab"] for n in data["notes"]] == [n.token for n in res.tablature.notes]
        pdfs.add(res.pdf.name)
    assert pdfs == {f"tune{i}.pdf" for i in range(N_THREADS)}
    # the same tunes converted one at a time give the same tabs (no cross-talk)
    for i in (0, N_THREADS - 1):
        alone = convert(f"corpus:airdsAirs/book1.abc#{i + 1}", output_dir=tmp_path / "alone",
                        record_history=False)
        assert alone.tablature.tokens == results[i].tablature.tokens
