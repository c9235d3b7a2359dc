"""Step ``ocr``: every symbolic format read from real music21 corpus files, every bad input."""

from __future__ import annotations

import importlib
import shutil
import zipfile
from pathlib import Path

import pytest

from harptab_nb.errors import (
    EmptyScore,
    HarptabError,
    InputError,
    ScoreReadError,
    UnsupportedInput,
)
from harptab_nb.pipeline.ocr import (
    MXL_MAX_BYTES,
    ScoreResult,
    demo_tunes,
    read_score,
    supported_extensions,
)
from harptab_nb.tracker import ProgressTracker

# first soprano notes of Bach's chorale BWV 66.6: C#5 B4 A4 B4 C#5 E5
BWV66_SOPRANO = [73, 71, 69, 71, 73, 76]


def _corpus_file(name: str) -> Path:
    from music21 import corpus

    return Path(corpus.getWork(name))


@pytest.fixture(scope="module")
def bwv66():
    from music21 import corpus

    return corpus.parse("bach/bwv66.6")


def _soprano_midi(result: ScoreResult, n: int = 6) -> list[int]:
    part = result.score.parts[0]
    return [p.pitch.midi for p in part.recurse().notes][:n]


def _substeps(tracker: ProgressTracker, step: str) -> dict:
    """{substep id: status dict, "_step": step dict} from the tracker's status JSON."""
    for s in tracker.to_json()["steps"]:
        if s["id"] == step:
            return {ss["id"]: ss for ss in s["substeps"]} | {"_step": s}
    raise AssertionError(f"no step {step}")


# ------------------------------------------------------------------ formats


def test_musicxml_from_corpus_score(tmp_path, bwv66):
    fp = Path(bwv66.write("musicxml", fp=tmp_path / "bwv66.musicxml"))
    res = read_score(fp)
    assert isinstance(res, ScoreResult)
    assert res.format == "musicxml"
    assert res.n_parts == 4
    assert res.n_notes == 165
    assert _soprano_midi(res) == BWV66_SOPRANO
    assert res.source == str(fp)


def test_xml_extension_and_str_path(tmp_path, bwv66):
    fp = bwv66.write("musicxml", fp=tmp_path / "bwv66.xml")
    res = read_score(str(fp))
    assert res.format == "musicxml"
    assert _soprano_midi(res) == BWV66_SOPRANO


def test_mxl_written_by_music21(tmp_path, bwv66):
    fp = Path(bwv66.write("mxl", fp=tmp_path / "bwv66.mxl"))
    assert zipfile.is_zipfile(fp)
    res = read_score(fp)
    assert res.format == "mxl"
    assert res.n_parts == 4
    assert _soprano_midi(res) == BWV66_SOPRANO


def test_mxl_from_corpus_with_title_and_composer():
    res = read_score(_corpus_file("leadSheet/fosterBrownHair.mxl"))
    assert res.format == "mxl"
    assert res.title == "Jeanie With The Light Brown Hair"
    assert res.composer == "Stephen Foster"
    assert res.n_notes == 95  # chord symbols are not counted as notes


def test_midi(tmp_path, bwv66):
    fp = Path(bwv66.write("midi", fp=tmp_path / "bwv66.mid"))
    res = read_score(fp)
    assert res.format == "midi"
    assert res.n_parts == 4
    assert _soprano_midi(res) == BWV66_SOPRANO
    fp2 = tmp_path / "copy.midi"
    shutil.copy(fp, fp2)
    assert read_score(fp2).format == "midi"


def test_humdrum(tmp_path):
    src = _corpus_file("palestrina/Agnus_08.krn")
    fp = tmp_path / "agnus.krn"
    shutil.copy(src, fp)
    res = read_score(fp)
    assert res.format == "humdrum"
    assert res.n_parts == 4
    assert res.title == "Agnus"
    assert "Palestrina" in res.composer
    first = [n.pitch.nameWithOctave for n in res.score.parts[0].recurse().notes][:3]
    assert first == ["G4", "E4", "F4"]


def test_abc_tune_number_by_keyword_and_by_suffix(tmp_path):
    fp = tmp_path / "book1.abc"
    shutil.copy(_corpus_file("airdsAirs/book1.abc"), fp)
    a = read_score(fp, tune=4)
    b = read_score(f"{fp}#4")
    for res in (a, b):
        assert res.format == "abc"
        assert res.title == "I'll Touzle your Kurchy."
        assert res.n_notes == 87
        assert res.source.endswith("book1.abc#4")
        assert not res.warnings
    # B4 E4 G4 E4: the tune's opening
    first = [n.pitch.midi for n in a.score.recurse().notes][:4]
    assert first == [71, 64, 67, 64]


def test_abc_multi_tune_without_number_reads_first_and_warns(tmp_path):
    fp = tmp_path / "book1.abc"
    shutil.copy(_corpus_file("airdsAirs/book1.abc"), fp)
    res = read_score(fp)
    assert res.title.startswith("The Ranting Highlandman")
    assert any("tunes" in w and "tune=N" in w for w in res.warnings)


def test_corpus_names():
    res = read_score("corpus:airdsAirs/book1.abc#4")
    assert res.source == "corpus:airdsAirs/book1.abc#4"
    assert res.n_notes == 87
    res2 = read_score("corpus:airdsAirs/book1.abc", tune=4)
    assert res2.n_notes == 87
    bach = read_score("corpus:bach/bwv66.6")
    assert bach.format == "mxl" and _soprano_midi(bach) == BWV66_SOPRANO


def test_demo_tunes_ship_and_read():
    tunes = demo_tunes()
    assert {"aloha_oe", "touzle_your_kurchy"} <= set(tunes)
    for path in tunes.values():
        assert path.stat().st_size < 100 * 1024
        assert "<encoding-date>" not in path.read_text(encoding="utf-8")
    res = read_score("demo:aloha_oe")
    assert res.title == "Aloha ʻOe"
    assert res.n_notes == 37


def test_music21_stream_is_accepted(bwv66):
    res = read_score(bwv66)
    assert res.format == "music21" and res.n_parts == 4


def test_tracker_substeps_and_count_message(tmp_path, bwv66):
    fp = bwv66.write("musicxml", fp=tmp_path / "b.musicxml")
    tr = ProgressTracker("t")
    read_score(fp, tracker=tr)
    subs = _substeps(tr, "ocr")
    assert subs["_step"]["status"] == "completed"
    for sid in ("ocr_init", "ocr_process", "ocr_parse"):
        assert subs[sid]["status"] == "completed"
    assert subs["ocr_parse"]["message"] == "165 notes read"


def test_supported_extensions_listed():
    exts = supported_extensions()
    for e in (".musicxml", ".xml", ".mxl", ".mid", ".midi", ".abc", ".krn", ".png", ".pdf"):
        assert e in exts


def test_parsing_writes_no_music21_cache(tmp_path, bwv66):
    from music21 import environment

    scratch = Path(environment.Environment().getRootTempDir())
    before = set(scratch.iterdir()) if scratch.exists() else set()
    fp = tmp_path / "b.musicxml"
    bwv66.write("musicxml", fp=fp)
    after_write = set(scratch.iterdir()) if scratch.exists() else set()
    read_score(fp)
    read_score("corpus:airdsAirs/book1.abc#4")
    after = set(scratch.iterdir()) if scratch.exists() else set()
    assert after - after_write == set()
    assert {p.name for p in tmp_path.iterdir()} == {"b.musicxml"}
    del before


# ------------------------------------------------------------------ bad input


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_score(tmp_path / "nope.musicxml")


def test_unknown_extension(tmp_path):
    fp = tmp_path / "tune.docx"
    fp.write_text("hello")
    with pytest.raises(UnsupportedInput, match=r"unknown file type '\.docx'.*\.musicxml"):
        read_score(fp)


def test_folder_is_refused(tmp_path):
    with pytest.raises(UnsupportedInput, match="folder"):
        read_score(tmp_path)


def test_corrupt_xml(tmp_path, bwv66):
    good = Path(bwv66.write("musicxml", fp=tmp_path / "good.musicxml")).read_text()
    bad = tmp_path / "bad.musicxml"
    bad.write_text(good[: len(good) // 2])  # cut in the middle of the document
    with pytest.raises(ScoreReadError, match="could not be read as MusicXML"):
        read_score(bad)
    junk = tmp_path / "junk.xml"
    junk.write_text("this is not xml at all <<<")
    with pytest.raises(ScoreReadError):
        read_score(junk)


def test_corrupt_midi(tmp_path):
    fp = tmp_path / "bad.mid"
    fp.write_bytes(b"MThd\x00\x00\x00\x06garbage" * 3)
    with pytest.raises(ScoreReadError, match="MIDI"):
        read_score(fp)


def test_mxl_not_a_zip(tmp_path):
    fp = tmp_path / "fake.mxl"
    fp.write_text("<score-partwise/>")
    with pytest.raises(ScoreReadError, match="not a valid .mxl"):
        read_score(fp)


def test_mxl_zip_without_score(tmp_path):
    fp = tmp_path / "empty.mxl"
    with zipfile.ZipFile(fp, "w") as zf:
        zf.writestr("README.txt", "no music here")
        zf.writestr("cover.png", b"\x89PNG")
    with pytest.raises(ScoreReadError, match="no MusicXML score inside"):
        read_score(fp)


def test_mxl_container_points_to_missing_member(tmp_path):
    fp = tmp_path / "broken.mxl"
    with zipfile.ZipFile(fp, "w") as zf:
        zf.writestr(
            "META-INF/container.xml",
            '<container><rootfiles><rootfile full-path="score.xml"/></rootfiles></container>',
        )
    with pytest.raises(ScoreReadError, match="no MusicXML score inside"):
        read_score(fp)


def test_mxl_zip_bomb_refused_before_unzipping(tmp_path):
    fp = tmp_path / "bomb.mxl"
    size = MXL_MAX_BYTES + 10 * 2**20
    with zipfile.ZipFile(fp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("score.xml", "w", force_zip64=True) as fh:
            block = b"\0" * 2**20
            for _ in range(size // 2**20):
                fh.write(block)
    assert fp.stat().st_size < 1 * 2**20  # tiny on disk, huge unpacked
    with pytest.raises(ScoreReadError, match="MB allowed"):
        read_score(fp)


def test_empty_file_and_empty_score(tmp_path):
    empty = tmp_path / "empty.musicxml"
    empty.write_bytes(b"")
    with pytest.raises(EmptyScore, match="empty"):
        read_score(empty)

    from music21 import note, stream

    s = stream.Score()
    p = stream.Part()
    for _ in range(2):
        m = stream.Measure()
        m.append(note.Rest(quarterLength=4))
        p.append(m)
    s.insert(0, p)
    fp = Path(s.write("musicxml", fp=tmp_path / "rests.musicxml"))
    with pytest.raises(EmptyScore, match="no notes"):
        read_score(fp)


def test_percussion_only_musicxml():
    with pytest.raises(EmptyScore, match="only percussion"):
        read_score(_corpus_file("demos/drum_sample.xml"))


def test_percussion_only_midi(tmp_path):
    from music21 import instrument, note, stream

    s = stream.Score()
    p = stream.Part()
    p.insert(0, instrument.SnareDrum())
    for _ in range(8):
        u = note.Unpitched(displayName="E4")
        u.storedInstrument = instrument.SnareDrum()
        p.append(u)
    s.insert(0, p)
    fp = Path(s.write("midi", fp=tmp_path / "drums.mid"))
    with pytest.raises(EmptyScore, match="percussion"):
        read_score(fp)


def test_tune_number_out_of_range(tmp_path):
    fp = tmp_path / "book1.abc"
    shutil.copy(_corpus_file("airdsAirs/book1.abc"), fp)
    with pytest.raises(UnsupportedInput, match=r"tune 999 is not in book1\.abc.*200 tunes"):
        read_score(fp, tune=999)
    with pytest.raises(UnsupportedInput, match="tune 999"):
        read_score("corpus:airdsAirs/book1.abc#999")
    with pytest.raises(UnsupportedInput, match="two different tune numbers"):
        read_score(f"{fp}#3", tune=4)


def test_tune_for_non_abc_and_bad_tune_value(tmp_path, bwv66):
    fp = bwv66.write("musicxml", fp=tmp_path / "b.musicxml")
    with pytest.raises(UnsupportedInput, match="only applies to ABC"):
        read_score(fp, tune=2)
    with pytest.raises(UnsupportedInput, match="whole number"):
        read_score(fp, tune="two")


def test_unknown_corpus_name_and_demo():
    with pytest.raises(UnsupportedInput, match="music21 corpus"):
        read_score("corpus:no/such/work.abc")
    with pytest.raises(UnsupportedInput, match="aloha_oe"):
        read_score("demo:nothing")


def test_not_a_path():
    with pytest.raises(UnsupportedInput, match="file path"):
        read_score(12345)


def test_image_goes_to_omr_backend_or_says_it_is_missing(tmp_path):
    fp = tmp_path / "page.png"
    fp.write_bytes(b"\x89PNG\r\n\x1a\n")
    try:
        omr = importlib.import_module("harptab_nb.omr")
        has_backend = hasattr(omr, "recognize")
    except ImportError:
        has_backend = False
    if not has_backend:
        with pytest.raises(UnsupportedInput, match="OMR"):
            read_score(fp)
        return
    # the backend is there: a page that is no image still fails as a typed ocr error
    tr = ProgressTracker("t")
    with pytest.raises(HarptabError) as info:
        read_score(fp, tracker=tr)
    assert info.value.step == "ocr"
    assert _substeps(tr, "ocr")["ocr_process"]["status"] == "error"


def test_error_marks_step_error_with_message(tmp_path):
    tr = ProgressTracker("t")
    with pytest.raises(HarptabError) as info:
        read_score(tmp_path / "missing.abc", tracker=tr)
    assert info.value.step == "ocr"
    subs = _substeps(tr, "ocr")
    assert subs["_step"]["status"] == "error"
    assert "not found" in subs["_step"]["message"]
    assert subs["ocr_init"]["status"] == "error"
    assert subs["ocr_parse"]["status"] == "pending"


def test_utf16_musicxml_inside_mxl_and_plain(tmp_path, bwv66):
    # Sibelius/Dolet wrote this corpus madrigal as UTF-16 inside the .mxl
    res = read_score(_corpus_file("monteverdi/madrigal.3.18.mxl"))
    assert res.n_parts == 5 and res.n_notes == 893
    text = Path(bwv66.write("musicxml", fp=tmp_path / "u8.musicxml")).read_text("utf-8")
    text = text.replace('encoding="utf-8"', 'encoding="UTF-16"')
    u16 = tmp_path / "u16.musicxml"
    u16.write_text(text, encoding="utf-16")
    assert u16.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert _soprano_midi(read_score(u16)) == BWV66_SOPRANO
    mxl = tmp_path / "u16.mxl"
    with zipfile.ZipFile(mxl, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("META-INF/container.xml",
                    '<container><rootfiles><rootfile full-path="s.xml"/></rootfiles></container>')
        zf.writestr("s.xml", u16.read_bytes())
    assert _soprano_midi(read_score(mxl)) == BWV66_SOPRANO


def test_xml_entity_bomb_is_refused_quickly(tmp_path):
    levels = ['<!ENTITY l0 "' + "lol" * 10 + '">']
    for i in range(1, 10):
        levels.append(f'<!ENTITY l{i} "' + f"&l{i - 1};" * 10 + '">')
    fp = tmp_path / "laughs.musicxml"
    fp.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE score-partwise [' + "\n".join(levels) + "]>\n"
        "<score-partwise><work><work-title>&l9;</work-title></work></score-partwise>"
    )
    with pytest.raises(ScoreReadError, match="MusicXML"):
        read_score(fp)
