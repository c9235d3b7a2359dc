"""End-to-end conversions through ``convert``: every input format, handles, bad inputs."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from harptab_nb.errors import (
    EmptyScore,
    HarptabError,
    InputError,
    NotPlayable,
    ScoreReadError,
    UnsupportedInput,
)
from harptab_nb.pipeline.runner import ConversionHandle, ConversionResult, convert
from harptab_nb.tracker import STEP_IDS, ProgressTracker

DATA = Path(__file__).resolve().parent.parent / "harptab_nb" / "data"
TAB_KEYS = {"harmonica", "transpose_semitones", "position", "song_key", "notes",
            "unplayable", "bends", "overbends", "cost"}


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HARPTAB_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def corpus_file(name: str) -> Path:
    from music21 import corpus

    return Path(corpus.getWork(name))


def assert_all_completed(tracker: ProgressTracker) -> dict:
    doc = tracker.to_json()
    assert doc["overall_progress"] == 100
    assert [s["id"] for s in doc["steps"]] == list(STEP_IDS)
    for step in doc["steps"]:
        assert step["status"] == "completed", step
        assert step["progress"] == 100
        for sub in step["substeps"]:
            assert sub["status"] == "completed", (step["id"], sub)
            assert sub["progress"] == 100 and sub["message"]
    assert tracker.status == "completed"
    return doc


@pytest.fixture(scope="module")
def midi_file(tmp_path_factory) -> Path:
    """A real tune (Aird's Airs book 1, no. 4) written to MIDI by music21."""
    from music21 import corpus

    path = tmp_path_factory.mktemp("midi") / "touzle.mid"
    corpus.parse("airdsAirs/book1.abc", number=4).write("midi", fp=str(path))
    return path


@pytest.fixture(scope="module")
def xml_file(tmp_path_factory) -> Path:
    """A real tune (Aird's Airs book 1, no. 4) as MusicXML with the .xml extension."""
    from music21 import corpus

    path = tmp_path_factory.mktemp("xml") / "touzle.xml"
    corpus.parse("airdsAirs/book1.abc", number=4).write("musicxml", fp=str(path))
    return path


@pytest.fixture(scope="module")
def inputs(midi_file, xml_file) -> dict[str, Path]:
    return {"midi": midi_file, "xml": xml_file}


SOURCES = {
    "musicxml": lambda mf: str(DATA / "aloha_oe.musicxml"),
    "xml": lambda mf: str(mf["xml"]),
    "mxl": lambda mf: str(corpus_file("bach/bwv66.6")),
    "midi": lambda mf: str(mf["midi"]),
    "abc": lambda mf: f"{corpus_file('airdsAirs/book1.abc')}#4",  # tune 4 of many
    "humdrum": lambda mf: str(corpus_file("bach/bwv281.krn")),
    "corpus": lambda mf: "corpus:airdsAirs/book1.abc#4",
}


@pytest.mark.parametrize("fmt", list(SOURCES))
def test_full_conversion_of_each_input_format(fmt, inputs, tmp_path):
    from test_tracker import assert_shape

    from harptab_nb import history

    out = tmp_path / "out"
    res = convert(SOURCES[fmt](inputs), output_dir=out, key="auto")
    assert isinstance(res, ConversionResult)
    assert res.status == "completed" and res.ok and res.error is None
    assert_all_completed(res.tracker)
    assert_shape(res.status_json())
    expected_format = {"corpus": "abc", "xml": "musicxml"}.get(fmt, fmt)
    assert res.score.format == expected_format
    for attr in ("score", "melody", "analysis", "mapping", "transposition", "tablature",
                 "outputs"):
        assert getattr(res, attr) is not None, attr
    assert res.harmonica is res.transposition.harmonica
    assert len(res.tablature.notes) == len(res.transposition.melody.notes)
    assert res.pdf.read_bytes().startswith(b"%PDF")
    assert res.pdf.parent == out.resolve() and res.txt.exists()
    data = json.loads(res.json.read_text(encoding="utf-8"))
    assert set(data) == TAB_KEYS | {"status"}
    assert data["status"]["overall_progress"] == 100
    assert_shape(data["status"])
    assert data["status"]["session_id"] == res.session_id
    assert all(s["status"] == "completed" for s in data["status"]["steps"])
    assert [n["tab"] for n in data["notes"]] == [n.token for n in res.tablature.notes]
    entry = history.history(limit=1)[0]
    assert entry.id == res.history_id and entry.status == "completed"
    assert entry.outputs["pdf"] == str(res.pdf) and entry.params["key"] == "auto"


def test_background_handle_and_step_results_in_order(tmp_path):
    seen: list[str] = []
    handle = convert("corpus:airdsAirs/book1.abc#4", output_dir=tmp_path, background=True,
                     on_result=lambda step, value: seen.append(step))
    assert isinstance(handle, ConversionHandle)
    assert handle.tracker is handle.partial.tracker
    res = handle.result(timeout=60)
    assert handle.done() and res.status == "completed"
    assert seen == list(STEP_IDS)
    assert_all_completed(handle.tracker)
    assert handle.partial is res


def test_given_tracker_and_french_names(tmp_path):
    tracker = ProgressTracker("mine", lang="fr")
    events: list[dict] = []
    tracker.subscribe(events.append)
    res = convert(str(DATA / "aloha_oe.musicxml"), output_dir=tmp_path, tracker=tracker)
    assert res.tracker is tracker and res.session_id == "mine"
    doc = assert_all_completed(tracker)
    assert doc["steps"][1]["name"] == "Extraction Mélodie"
    assert events[-1]["status"] == "completed"
    overall = [e["overall_progress"] for e in events if "overall_progress" in e]
    assert overall == sorted(overall) and overall[-1] == 100  # only changes, never back
    seq = [e["seq"] for e in events]
    assert seq == sorted(seq) and len(seq) == len(set(seq))


def test_each_step_is_a_plain_function_with_an_optional_tracker(tmp_path):
    """The seven steps called one by one, with and without a tracker, give small value
    objects, and the same tab as ``convert``."""
    from harptab_nb.music import Melody
    from harptab_nb.pipeline import analysis, mapping_load, melody, ocr, pdf, tablature, transpose
    from harptab_nb.tablature import Tablature

    src = "corpus:airdsAirs/book1.abc#4"
    for tracker in (None, ProgressTracker("by-hand")):
        kw = {"tracker": tracker}
        score = ocr.read_score(src, **kw)
        assert isinstance(score, ocr.ScoreResult) and score.n_notes > 0
        mel = melody.extract_melody(score, **kw)
        assert isinstance(mel, Melody) and mel.meta["part_reason"]
        ana = analysis.analyze(mel, score=score, **kw)
        assert isinstance(ana, analysis.Analysis) and ana.song_key == "E minor"
        mapping = mapping_load.load_mapping("diatonic", key="auto", **kw)
        assert isinstance(mapping, mapping_load.HarpMapping) and len(mapping.harps) > 1
        report = transpose.choose_transposition(mel, mapping, song_key=ana.song_key, **kw)
        assert isinstance(report, transpose.TranspositionReport)
        tab = tablature.make_tablature(report, **kw)
        assert isinstance(tab, Tablature)
        files = pdf.write_outputs(tab, output_dir=tmp_path / "by-hand", melody=report.melody,
                                  **kw)
        assert isinstance(files, pdf.OutputFiles) and files.pdf.exists()
        if tracker is not None:
            assert_all_completed(tracker)
    whole = convert(src, output_dir=tmp_path / "whole", key="auto", record_history=False)
    assert whole.tablature.tokens == tab.tokens


def test_raising_listener_and_frozen_elapsed_time_in_a_real_run(tmp_path):
    """A view that crashes on every event does not stop the conversion; the status JSON
    after the run has an int ``elapsed_time`` that no longer moves."""
    import time

    tracker = ProgressTracker("crashing-view")
    calls: list[int] = []

    def broken_view(event: dict) -> None:
        calls.append(event["seq"])
        raise RuntimeError("the view crashed")

    tracker.subscribe(broken_view)
    res = convert(str(DATA / "aloha_oe.musicxml"), output_dir=tmp_path, tracker=tracker)
    assert res.status == "completed" and len(calls) > 20
    assert_all_completed(tracker)
    doc = tracker.to_json()
    assert isinstance(doc["elapsed_time"], int)
    frozen = tracker.elapsed
    time.sleep(0.05)
    assert tracker.elapsed == frozen and tracker.to_json()["elapsed_time"] == doc["elapsed_time"]


def test_corrupt_history_file_never_blocks_a_conversion(home, tmp_path):
    home.mkdir(parents=True)
    (home / "history.sqlite3").write_bytes(b"\x00garbage" * 500)
    res = convert("corpus:airdsAirs/book1.abc#4", output_dir=tmp_path / "o")
    assert res.status == "completed" and res.history_id == 1


def test_a_step_result_callback_that_raises_does_not_break_the_run(tmp_path):
    def boom(step, value):
        raise RuntimeError("view bug")

    res = convert(str(DATA / "aloha_oe.musicxml"), output_dir=tmp_path, on_result=boom)
    assert res.status == "completed"


# ------------------------------------------------------------------ bad inputs

def _xml(body: str, part_name: str = "Music") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="3.1">
  <part-list><score-part id="P1"><part-name>{part_name}</part-name></score-part></part-list>
  <part id="P1">
    <measure number="1">
      <attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time></attributes>
      {body}
    </measure>
  </part>
</score-partwise>
"""


def _pitched(steps_octaves: list[tuple[str, int]]) -> str:
    return "".join(
        f"<note><pitch><step>{s}</step><octave>{o}</octave></pitch>"
        f"<duration>1</duration><type>quarter</type></note>" for s, o in steps_octaves
    )


def make_missing(d: Path) -> Path:
    return d / "no-such-tune.musicxml"


def make_unknown_ext(d: Path) -> Path:
    p = d / "tune.docx"
    p.write_bytes(b"PK\x03\x04 not a score")
    return p


def make_corrupt_xml(d: Path) -> Path:
    p = d / "corrupt.musicxml"
    text = (DATA / "aloha_oe.musicxml").read_text(encoding="utf-8")
    p.write_text(text[: len(text) // 2], encoding="utf-8")  # cut in the middle of a tag
    return p


def make_mxl_not_zip(d: Path) -> Path:
    p = d / "fake.mxl"
    p.write_text(_xml(_pitched([("C", 4)])), encoding="utf-8")
    return p


def make_mxl_no_score(d: Path) -> Path:
    p = d / "empty.mxl"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "no score here")
    return p


def make_zip_bomb(d: Path) -> Path:
    p = d / "bomb.mxl"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("META-INF/container.xml",
                    '<container><rootfiles><rootfile full-path="score.xml"/></rootfiles>'
                    '</container>')
        zf.writestr("score.xml", b"<" + b" " * (60 * 1024 * 1024) + b">")
    assert p.stat().st_size < 1024 * 1024  # tiny on disk, 60 MB unpacked
    return p


def make_empty_score(d: Path) -> Path:
    p = d / "empty.musicxml"
    p.write_text(_xml("<note><rest/><duration>4</duration><type>whole</type></note>"),
                 encoding="utf-8")
    return p


def make_percussion(d: Path) -> Path:
    p = d / "drums.musicxml"
    notes = "".join(
        "<note><unpitched><display-step>C</display-step><display-octave>5</display-octave>"
        "</unpitched><duration>1</duration><type>quarter</type></note>" for _ in range(4))
    p.write_text(_xml(notes, "Drum Set"), encoding="utf-8")
    return p


def make_out_of_range(d: Path) -> Path:
    p = d / "subsonic.musicxml"  # C0..G0: far below any harmonica even 2 octaves up
    p.write_text(_xml(_pitched([("C", 0), ("D", 0), ("E", 0), ("G", 0)])), encoding="utf-8")
    return p


BAD_INPUTS = {
    "missing file": (make_missing, InputError, "ocr", "not found"),
    "unknown extension": (make_unknown_ext, UnsupportedInput, "ocr", "unknown file type"),
    "corrupt xml": (make_corrupt_xml, ScoreReadError, "ocr", "could not be read"),
    "mxl not a zip": (make_mxl_not_zip, ScoreReadError, "ocr", "not a valid .mxl"),
    "mxl without score": (make_mxl_no_score, ScoreReadError, "ocr", "no MusicXML score"),
    "zip bomb": (make_zip_bomb, ScoreReadError, "ocr", "MB"),
    "empty score": (make_empty_score, EmptyScore, "ocr", "no notes"),
    "percussion only": (make_percussion, EmptyScore, "ocr", "percussion"),
    "no note in range of any harp": (make_out_of_range, NotPlayable, "transpose", "playable"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_cleanly(case, tmp_path):
    make, err_type, step, words = BAD_INPUTS[case]
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    source = make(src_dir)
    out = tmp_path / "out"
    with pytest.raises(err_type) as info:
        convert(str(source), output_dir=out, key="auto")
    exc = info.value
    assert isinstance(exc, HarptabError)
    assert words in str(exc)
    assert exc.step == step
    res = exc.result
    assert res.status == "error" and res.failed_step == step and res.error is exc
    doc = res.tracker.to_json()
    statuses = {s["id"]: s for s in doc["steps"]}
    failing = statuses[step]
    assert failing["status"] == "error" and failing["message"] == str(exc)
    assert not any(s["status"] == "in_progress" for st in doc["steps"] for s in st["substeps"])
    later = STEP_IDS[STEP_IDS.index(step) + 1:]
    assert all(statuses[s]["status"] == "pending" for s in later)
    assert all(statuses[s]["status"] == "completed" for s in STEP_IDS[:STEP_IDS.index(step)])
    assert doc["overall_progress"] < 100 and doc["current_step"] == step
    assert not out.exists() or not any(out.iterdir())  # no partial output
    assert res.outputs is None and res.pdf is None


def test_bad_input_with_raise_on_error_false_returns_the_result(tmp_path):
    res = convert(str(tmp_path / "nope.abc"), output_dir=tmp_path / "o", raise_on_error=False)
    assert res.status == "error" and isinstance(res.error, InputError)
    assert res.failed_step == "ocr" and "not found" in res.message
    from harptab_nb import history

    entry = history.history(limit=1)[0]
    assert entry.status == "error" and entry.failed_step == "ocr"
    assert "not found" in entry.message


def test_bad_option_fails_at_its_step_and_nothing_is_written(tmp_path):
    out = tmp_path / "o"
    with pytest.raises(HarptabError) as info:
        convert(str(DATA / "aloha_oe.musicxml"), output_dir=out, harmonica="banjo")
    res = info.value.result
    assert res.failed_step == "mapping_load"
    assert res.tracker.step_status("mapping_load") == "error"
    assert "banjo" in res.tracker.to_json()["steps"][3]["message"]
    with pytest.raises(HarptabError) as info:
        convert(str(DATA / "aloha_oe.musicxml"), output_dir=out, formats=["pdf", "docx"])
    res = info.value.result
    assert res.failed_step == "pdf" and res.tracker.step_status("pdf") == "error"
    assert not out.exists() or not any(out.iterdir())


def test_song_key_and_variants_reach_the_engine(tmp_path):
    plain = convert(str(DATA / "aloha_oe.musicxml"), output_dir=tmp_path / "a", key="auto",
                    record_history=False)
    wide = convert(str(DATA / "aloha_oe.musicxml"), output_dir=tmp_path / "b", key="auto",
                   variants=True, song_key="D minor", record_history=False)
    assert len(wide.mapping.harps) > len(plain.mapping.harps)
    assert wide.transposition.source_key == "D minor"
    assert plain.transposition.source_key == plain.analysis.song_key
    assert wide.params["variants"] is True and wide.params["song_key"] == "D minor"
