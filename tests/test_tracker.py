"""The progress tracker: original interface, status JSON shape, events, cancel, registry."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from harptab_nb.errors import Cancelled, InputError, OptionError
from harptab_nb.tracker import (
    STEP_IDS,
    STEPS,
    ProgressTracker,
    create_tracker,
    expire_trackers,
    get_tracker,
    list_trackers,
    remove_tracker,
    step_scope,
)

STEP_KEYS = {"id", "name", "status", "progress", "message", "substeps"}
SUB_KEYS = {"id", "name", "status", "progress", "message"}
TOP_KEYS = {"session_id", "overall_progress", "elapsed_time", "current_step", "steps"}
STATUSES = {"pending", "in_progress", "completed", "error", "cancelled"}


def assert_shape(doc: dict) -> None:
    """The status JSON has exactly the keys of the issue, with the right types."""
    assert set(doc) == TOP_KEYS
    assert isinstance(doc["session_id"], str)
    assert isinstance(doc["overall_progress"], int) and 0 <= doc["overall_progress"] <= 100
    assert isinstance(doc["elapsed_time"], int) and doc["elapsed_time"] >= 0
    assert doc["current_step"] is None or doc["current_step"] in STEP_IDS
    assert [s["id"] for s in doc["steps"]] == list(STEP_IDS)
    for step, (_sid, _name, subs) in zip(doc["steps"], STEPS, strict=True):
        assert set(step) == STEP_KEYS
        assert step["status"] in STATUSES
        assert isinstance(step["progress"], int) and 0 <= step["progress"] <= 100
        assert isinstance(step["message"], str) and isinstance(step["name"], str)
        assert [s["id"] for s in step["substeps"]] == list(subs)
        for sub in step["substeps"]:
            assert set(sub) == SUB_KEYS
            assert sub["status"] in STATUSES
            assert isinstance(sub["progress"], int) and 0 <= sub["progress"] <= 100
    json.loads(json.dumps(doc))  # serializable as is


def test_original_snippet_runs_verbatim():
    session_id = "snippet-session"
    from harptab_nb.tracker import create_tracker, get_tracker, remove_tracker  # noqa: F811
    tracker = create_tracker(session_id)
    tracker.start_step('ocr', "Lecture de la partition")
    tracker.start_substep('ocr', 'ocr_init', "Initialisation Audiveris")
    tracker.complete_substep('ocr', 'ocr_init', "Audiveris prêt")
    tracker.complete_step('ocr', "OCR terminé")
    tracker.error_step('ocr', "Échec OCR: fichier corrompu")

    assert get_tracker(session_id) is tracker
    doc = tracker.to_json()
    assert_shape(doc)
    ocr = doc["steps"][0]
    assert ocr["status"] == "error" and ocr["message"] == "Échec OCR: fichier corrompu"
    assert ocr["substeps"][0] == {"id": "ocr_init", "name": ocr["substeps"][0]["name"],
                                  "status": "completed", "progress": 100,
                                  "message": "Audiveris prêt"}
    assert doc["current_step"] == "ocr"
    assert all(s["status"] == "pending" for s in doc["steps"][1:])
    assert tracker.status == "error" and tracker.finished
    assert remove_tracker(session_id) is True
    assert get_tracker(session_id) is None
    assert remove_tracker(session_id) is False


def test_status_json_shape_fresh_and_full():
    t = ProgressTracker("shape")
    doc = t.to_json()
    assert_shape(doc)
    assert doc["overall_progress"] == 0 and doc["current_step"] is None
    assert doc["session_id"] == "shape"
    for sid, _name, subs in STEPS:
        with step_scope(t, sid, f"running {sid}") as st:
            for sub in subs:
                with st.substep(sub, "working") as h:
                    h.progress(50)
                    h.done(f"{sub} ok")
            st.done(f"{sid} ok")
    doc = t.to_json()
    assert_shape(doc)
    assert doc["overall_progress"] == 100
    assert t.status == "completed"
    for step in doc["steps"]:
        assert step["status"] == "completed" and step["progress"] == 100
        assert step["message"] == f"{step['id']} ok"
        for sub in step["substeps"]:
            assert sub == {**sub, "status": "completed", "progress": 100,
                           "message": f"{sub['id']} ok"}


def test_french_and_english_names():
    fr = ProgressTracker("fr", lang="fr").to_json()
    assert [s["name"] for s in fr["steps"]] == [
        "OCR Musical", "Extraction Mélodie", "Analyse Musicale", "Chargement Mapping",
        "Transposition", "Génération Tablature", "Génération PDF",
    ]
    en = ProgressTracker("en").to_json()
    assert [s["name"] for s in en["steps"]] == [name for _sid, name, _subs in STEPS]
    assert all(sub["name"] and sub["name"] != sub["id"]
               for step in fr["steps"] for sub in step["substeps"])
    with pytest.raises(OptionError, match="en, fr"):
        ProgressTracker("xx", lang="de")


def test_overall_progress_counts_substep_progress():
    t = ProgressTracker()
    t.start_step("ocr")
    t.start_substep("ocr", "ocr_process")
    t.update_substep_progress("ocr", "ocr_process", 60, "page 3/5")
    doc = t.to_json()
    ocr = doc["steps"][0]
    assert ocr["progress"] == 20  # (0 + 60 + 0) / 3
    assert ocr["substeps"][1]["progress"] == 60 and ocr["substeps"][1]["message"] == "page 3/5"
    assert doc["overall_progress"] == 20 // 7
    t.update_substep_progress("ocr", "ocr_process", 250)  # clamped
    assert t.to_json()["steps"][0]["substeps"][1]["progress"] == 100
    t.update_step_progress("mapping_load", 70)
    assert t.to_json()["steps"][3]["progress"] == 70


def test_progress_after_completion_and_on_steps_with_substeps_changes_nothing():
    """Found by the replay property: the JSON shows a completed item at 100 and a step
    with substeps at their mean, so progress updates there must not emit a change."""
    t = ProgressTracker()
    events: list[dict] = []
    t.subscribe(events.append)
    t.complete_step("mapping_load")
    t.start_step("ocr")
    t.complete_substep("ocr", "ocr_init")
    n = len(events)
    t.update_step_progress("mapping_load", 0)
    t.update_substep_progress("ocr", "ocr_init", 10)
    t.update_step_progress("ocr", 80)
    assert len(events) == n
    doc = t.to_json()
    assert doc["steps"][3]["progress"] == 100 and doc["steps"][0]["progress"] == 33
    assert doc["steps"][0]["substeps"][0]["progress"] == 100
    t.update_substep_progress("ocr", "ocr_init", 10, "a later note")  # message still changes
    assert events[-1]["changes"] == {"message": "a later note"}


def test_unknown_ids_are_typed_errors():
    t = ProgressTracker()
    with pytest.raises(OptionError, match="unknown step 'nope'"):
        t.start_step("nope")
    with pytest.raises(OptionError, match="ocr_init"):
        t.start_substep("ocr", "melody_select")


def test_elapsed_time_freezes_when_the_run_ends():
    t = ProgressTracker()
    t._start -= 5  # as if created 5 s ago
    t.start_step("ocr")
    assert t.to_json()["elapsed_time"] >= 5
    t.error_step("ocr", "boom")
    frozen = t.elapsed
    time.sleep(0.05)
    assert t.elapsed == frozen
    assert t.to_json()["elapsed_time"] == int(frozen)


def test_step_scope_error_marks_step_and_leaves_later_steps_pending():
    t = ProgressTracker()
    with pytest.raises(InputError) as info:
        with step_scope(t, "ocr", "reading") as st:
            with st.substep("ocr_init"):
                pass
            with st.substep("ocr_process"):
                raise InputError("the file is not a score")
    assert info.value.step == "ocr"
    doc = t.to_json()
    ocr = doc["steps"][0]
    assert ocr["status"] == "error" and ocr["message"] == "the file is not a score"
    assert [s["status"] for s in ocr["substeps"]] == ["completed", "error", "pending"]
    assert all(s["status"] == "pending" for s in doc["steps"][1:])
    assert t.status == "error"


def test_step_scope_unexpected_exception_still_marks_error():
    t = ProgressTracker()
    with pytest.raises(ZeroDivisionError):
        with step_scope(t, "analysis"):
            1 / 0  # noqa: B018
    step = t.to_json()["steps"][2]
    assert step["status"] == "error" and "ZeroDivisionError" in step["message"]


def test_step_scope_without_tracker_works():
    with step_scope(None, "melody") as st:
        with st.substep("melody_select") as sub:
            sub.done("part 1")
        st.done("ok")


def test_cancel_raises_at_next_substep_boundary():
    t = ProgressTracker()
    ran = []
    with pytest.raises(Cancelled):
        with step_scope(t, "ocr") as st:
            with st.substep("ocr_init"):
                ran.append("init")
                t.cancel()
                ran.append("init continues to its end")
            with st.substep("ocr_process"):
                ran.append("process")  # never reached
    assert ran == ["init", "init continues to its end"]
    doc = t.to_json()
    ocr = doc["steps"][0]
    assert ocr["status"] == "cancelled"
    assert [s["status"] for s in ocr["substeps"]] == ["completed", "pending", "pending"]
    assert t.status == "cancelled" and t.finished
    assert all(s["status"] == "pending" for s in doc["steps"][1:])


def test_cancel_between_steps_marks_the_next_step_cancelled():
    t = ProgressTracker()
    with step_scope(t, "ocr"):
        pass
    t.cancel()
    with pytest.raises(Cancelled) as info:
        with step_scope(t, "melody"):
            pytest.fail("must not run")
    assert info.value.step == "melody"
    assert t.step_status("ocr") == "completed"
    assert t.step_status("melody") == "cancelled"


def test_cancel_inside_a_running_substep_via_check_cancelled():
    t = ProgressTracker()
    with pytest.raises(Cancelled):
        with step_scope(t, "tablature") as st:
            with st.substep("tablature_map"):
                t.cancel()
                t.check_cancelled()
    tab = t.to_json()["steps"][5]
    assert tab["status"] == "cancelled"
    assert tab["substeps"][0]["status"] == "cancelled"


def test_subscribe_events_carry_only_changes_and_unsubscribe():
    t = ProgressTracker("ev")
    events: list[dict] = []
    handle = t.subscribe(events.append)
    t.start_step("ocr", "reading")
    t.start_substep("ocr", "ocr_init", "setup")
    t.update_substep_progress("ocr", "ocr_init", 50)
    t.update_substep_progress("ocr", "ocr_init", 50)  # no change -> no event
    t.complete_substep("ocr", "ocr_init", "ready")
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    e0, e1, e2, e3 = events
    assert e0["type"] == "step" and e0["step"] == "ocr" and e0["substep"] is None
    assert e0["changes"] == {"status": "in_progress", "message": "reading"}
    assert e0["current_step"] == "ocr" and e0["status"] == "running"
    assert e1["changes"] == {"status": "in_progress", "message": "setup"}
    assert "current_step" not in e1 and "status" not in e1
    assert e2["changes"] == {"progress": 50} and e2["substep"] == "ocr_init"
    assert e2["overall_progress"] == 50 // 3 // 7
    assert e3["changes"] == {"status": "completed", "progress": 100, "message": "ready"}
    assert e3["overall_progress"] == 33 // 7
    handle()
    t.complete_step("ocr")
    assert len(events) == 4
    assert not handle.active


def test_run_end_event_carries_frozen_elapsed_time():
    t = ProgressTracker()
    events: list[dict] = []
    with t.subscribe(events.append):
        t.start_step("ocr")
        t.error_step("ocr", "bad")
    last = events[-1]
    assert last["status"] == "error" and last["changes"]["message"] == "bad"
    assert last["elapsed_time"] == t.to_json()["elapsed_time"]


def test_raising_listener_never_breaks_the_run(caplog):
    t = ProgressTracker()
    good: list[dict] = []

    def bad(event: dict) -> None:
        raise RuntimeError("view crashed")

    t.subscribe(bad)
    t.subscribe(good.append)
    for sid, _name, subs in STEPS:
        with step_scope(t, sid) as st:
            for sub in subs:
                with st.substep(sub):
                    pass
    assert t.status == "completed" and t.overall_progress == 100
    assert good and good[-1]["status"] == "completed"
    assert "view crashed" in caplog.text


def test_listener_may_call_the_tracker_back():
    t = ProgressTracker()
    seen: list[tuple[int, int]] = []

    def listener(event: dict) -> None:
        seen.append((event["seq"], t.to_json()["overall_progress"]))
        if event.get("changes", {}).get("status") == "completed" and event["step"] == "ocr":
            t.start_step("melody", "started from a listener")  # re-entrant call

    t.subscribe(listener)
    t.start_step("ocr")
    t.complete_step("ocr")
    assert t.step_status("melody") == "in_progress"
    assert [s for s, _ in seen] == [1, 2, 3]


def test_replay_snapshot():
    t = ProgressTracker("snap")
    t.start_step("ocr")
    got: list[dict] = []
    t.subscribe(got.append, replay=True)
    assert got[0]["type"] == "snapshot"
    assert_shape(got[0]["status_json"])
    assert got[0]["status_json"]["steps"][0]["status"] == "in_progress"


def test_events_from_a_background_thread_arrive_in_order():
    t = ProgressTracker()
    got: list[int] = []
    t.subscribe(lambda e: got.append(e["seq"]))

    def run() -> None:
        for i in range(1, 101):
            t.update_step_progress("mapping_load", i)

    th = threading.Thread(target=run)
    th.start()
    th.join()
    assert got == list(range(1, 101))


def test_registry_expires_finished_trackers_without_threads():
    before = threading.active_count()
    a = create_tracker("exp-a", keep_seconds=10)
    b = create_tracker("exp-b", keep_seconds=10)
    running = create_tracker("exp-running", keep_seconds=10)
    assert threading.active_count() == before  # no timer thread per tracker
    a.start_step("ocr")
    a.error_step("ocr", "x")
    b.start_step("ocr")
    running.start_step("ocr")
    assert expire_trackers() == 0
    assert get_tracker("exp-a") is a
    n = expire_trackers(now=time.monotonic() + 11)
    assert n == 1
    assert get_tracker("exp-a") is None
    assert get_tracker("exp-b") is b and get_tracker("exp-running") is running
    assert {"exp-b", "exp-running"} <= set(list_trackers())
    quick = create_tracker("exp-quick", keep_seconds=0.01)
    quick.start_step("ocr")
    quick.cancel_step("ocr")
    time.sleep(0.03)
    assert get_tracker("exp-quick") is None  # swept on access
    for sid in ("exp-b", "exp-running"):
        remove_tracker(sid)


def test_create_tracker_default_id_and_replacement():
    t = create_tracker()
    assert len(t.session_id) >= 8 and get_tracker(t.session_id) is t
    t2 = create_tracker(t.session_id, lang="fr")
    assert get_tracker(t.session_id) is t2
    assert remove_tracker(t.session_id)


def test_tracker_module_is_import_light():
    code = ("import sys, harptab_nb.tracker; "
            "bad = [m for m in ('music21', 'ipywidgets', 'matplotlib', 'verovio') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


# ------------------------------------------------------------ property: events replay

_SUB_PAIRS = [(sid, sub) for sid, _n, subs in STEPS for sub in subs]
_ops = hs.one_of(
    hs.tuples(hs.just("start_step"), hs.sampled_from(STEP_IDS), hs.text(max_size=3)),
    hs.tuples(hs.just("complete_step"), hs.sampled_from(STEP_IDS), hs.text(max_size=3)),
    hs.tuples(hs.just("error_step"), hs.sampled_from(STEP_IDS), hs.text(max_size=3)),
    hs.tuples(hs.just("cancel_step"), hs.sampled_from(STEP_IDS), hs.text(max_size=3)),
    hs.tuples(hs.just("update_step_progress"), hs.sampled_from(STEP_IDS),
              hs.integers(-10, 120)),
    hs.tuples(hs.just("start_substep"), hs.sampled_from(_SUB_PAIRS), hs.text(max_size=3)),
    hs.tuples(hs.just("complete_substep"), hs.sampled_from(_SUB_PAIRS), hs.text(max_size=3)),
    hs.tuples(hs.just("error_substep"), hs.sampled_from(_SUB_PAIRS), hs.text(max_size=3)),
    hs.tuples(hs.just("update_substep_progress"), hs.sampled_from(_SUB_PAIRS),
              hs.integers(-10, 120)),
)


def _raw(doc: dict) -> dict:
    """Stored fields only (step progress of steps with substeps is derived)."""
    out = {}
    for st in doc["steps"]:
        out[st["id"]] = (st["status"], st["message"],
                         st["progress"] if not st["substeps"] else None)
        for sub in st["substeps"]:
            out[(st["id"], sub["id"])] = (sub["status"], sub["message"], sub["progress"])
    return out


@settings(max_examples=150, deadline=None)
@given(hs.lists(_ops, max_size=40), hs.integers(0, 40))
def test_replaying_events_rebuilds_the_status(ops, subscribe_at):
    """Events carry only changes, yet applying them to the snapshot taken at subscribe
    time gives exactly the final status: nothing is lost, nothing is invented."""
    t = ProgressTracker("prop")
    events: list[dict] = []
    snapshot = None
    for i, (name, target, arg) in enumerate(ops):
        if i == subscribe_at:
            t.subscribe(events.append, replay=True)
        args = target if isinstance(target, tuple) else (target,)
        getattr(t, name)(*args, arg)
        doc = t.to_json()
        assert_shape(doc)
        assert doc["overall_progress"] == sum(s["progress"] for s in doc["steps"]) // 7
    if snapshot is None and events:
        snapshot = events[0]["status_json"]
    if snapshot is None:
        return
    state = _raw(snapshot)
    overall, current = snapshot["overall_progress"], snapshot["current_step"]
    for e in events[1:]:
        assert e["changes"] or {"status", "current_step"} & set(e)
        key = e["step"] if e["type"] == "step" else (e["step"], e["substep"])
        status, message, progress = state[key]
        c = e["changes"]
        if e["type"] == "step" and progress is None:
            c = {k: v for k, v in c.items() if k != "progress"}
        for k, v in c.items():
            assert v != {"status": status, "message": message, "progress": progress}[k]
        state[key] = (c.get("status", status), c.get("message", message),
                      c.get("progress", progress))
        overall = e.get("overall_progress", overall)
        current = e.get("current_step", current)
    final = t.to_json()
    assert state == _raw(final)
    assert overall == final["overall_progress"] and current == final["current_step"]


def test_rerunning_a_step_resets_it_and_restarts_the_clock():
    t = ProgressTracker()
    for sid, _name, subs in STEPS:
        with step_scope(t, sid) as st:
            for sub in subs:
                with st.substep(sub):
                    pass
    assert t.finished and t.overall_progress == 100
    frozen = t.elapsed
    with step_scope(t, "melody") as st:  # a notebook re-runs one step
        mel = t.to_json()["steps"][1]
        assert mel["status"] == "in_progress" and mel["progress"] == 0
        assert [s["status"] for s in mel["substeps"]] == ["pending", "pending"]
        assert t.status == "running" and not t.finished
        with st.substep("melody_select"):
            pass
        with st.substep("melody_extract"):
            pass
    assert t.status == "completed" and t.overall_progress == 100
    assert t.elapsed >= frozen


def test_registry_is_thread_safe():
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(300):
                sid = f"reg-{i}-{j}"
                t = create_tracker(sid, keep_seconds=0)
                assert get_tracker(sid) is t
                if j % 2:
                    assert remove_tracker(sid)
                else:
                    t.start_step("ocr")
                    t.error_step("ocr", "done")  # finished, keep 0 s: swept on next access
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors[0]
    assert not [s for s in list_trackers() if s.startswith("reg-")]


def test_replay_snapshot_is_atomic_while_other_threads_update():
    """A late subscriber (a notebook view attached to a running conversion) gets the
    snapshot first, then exactly the changes after it: replaying them on the snapshot
    gives the final status, even while 4 threads keep updating."""
    t = ProgressTracker("late")
    subs = [(sid, sub) for sid, _n, ss in STEPS for sub in ss][:4]
    stop = threading.Event()

    def hammer(i: int) -> None:
        step_id, sub_id = subs[i]
        j = 0
        while not stop.is_set():
            t.update_substep_progress(step_id, sub_id, j % 101, f"{i}:{j}")
            j += 1

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    logs: list[list[dict]] = []
    try:
        for _ in range(20):
            time.sleep(0.002)
            log: list[dict] = []
            t.subscribe(log.append, replay=True)
            logs.append(log)
    finally:
        stop.set()
        for th in threads:
            th.join()
    final = _raw(t.to_json())
    for log in logs:
        assert log[0]["type"] == "snapshot"
        assert all(e["type"] != "snapshot" for e in log[1:])
        seqs = [e["seq"] for e in log]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "an event lost or repeated"
        state = _raw(log[0]["status_json"])
        for e in log[1:]:
            key = (e["step"], e["substep"])
            status, message, progress = state[key]
            c = e["changes"]
            state[key] = (c.get("status", status), c.get("message", message),
                          c.get("progress", progress))
        assert state == final


def test_events_go_only_to_listeners_subscribed_when_they_happened():
    t = ProgressTracker()
    late: list[dict] = []

    def first(event: dict) -> None:
        if event["seq"] == 1:  # while event 1 is being delivered ...
            t.update_step_progress("mapping_load", 20)  # event 2: queued, not yet delivered
            t.subscribe(late.append)  # ... a view subscribes
            t.update_step_progress("mapping_load", 50)  # event 3

    t.subscribe(first)
    t.update_step_progress("mapping_load", 10)
    assert [e["seq"] for e in late] == [3]  # event 2 happened before it subscribed


def test_default_keep_time_is_300_seconds():
    from harptab_nb.tracker import DEFAULT_KEEP_SECONDS

    t = create_tracker("keep-default")
    assert DEFAULT_KEEP_SECONDS == 300 and t.keep_seconds == 300
    t.start_step("ocr")
    t.error_step("ocr", "x")
    expire_trackers(now=time.monotonic() + 299)  # (may sweep other tests' trackers)
    assert get_tracker("keep-default") is t
    assert expire_trackers(now=time.monotonic() + 301) >= 1
    assert get_tracker("keep-default") is None
