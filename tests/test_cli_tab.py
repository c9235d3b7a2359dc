"""``harptab tab / keys / chart`` through the real dispatcher."""

from __future__ import annotations

import json

import pytest

from harptab_nb.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_tab_notes_text(capsys):
    code, out, err = run(capsys, "tab", "--notes", "C4 D4 E4 F4 G4 A4 B4 C5")
    assert code == 0 and err == ""
    assert "| 4 -4 5 -5 6 -6 -7 7 |" in out  # bend-free an octave up
    assert "transposed +12" in out


def test_tab_notes_fixed_in_place_plus_style(capsys):
    code, out, _ = run(capsys, "tab", "--notes", "C4 D4 E4 F4", "--transpose", "none",
                       "--style", "plus", "--max-bend", "2")
    assert code == 0
    assert "| +1 -1 +2 -2'' |" in out


def test_tab_json(capsys):
    code, out, _ = run(capsys, "tab", "--notes", "G4 A4 B4 r C5", "--key", "G",
                       "--transpose", "none", "--format", "json")
    d = json.loads(out)
    assert d["harmonica"] == {"type": "diatonic", "tuning": "richter", "key": "G",
                              "hole1_midi": 55, "holes": 10}
    assert [n["tab"] for n in d["notes"]] == ["4", "-4", "5", "", "-5"]
    assert d["position"] == 1 and d["unplayable"] == 0


def test_tab_corpus_input_and_chromatic(capsys):
    code, out, _ = run(capsys, "tab", "corpus:airdsAirs/book1.abc#4", "--harmonica",
                       "chromatic", "--holes", "16", "--transpose", "none")
    assert code == 0 and "Chromatic 16-hole" in out
    assert "X" not in out.split("\n", 3)[-1]  # the air lies inside a 16-hole chromatic


def test_keys_ranked_table(capsys):
    code, out, _ = run(capsys, "keys", "--notes", "D4 E4 F#4 G4 A4 B4 C#5 D5", "--top", "3",
                       "--song-key", "D major")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 5  # title, header, 3 options
    assert lines[2].split()[:4] == ["1", "G", "melody_maker", "+0"]
    code, out, _ = run(capsys, "keys", "--notes", "D4 E4 F#4", "--tuning", "richter",
                       "--format", "json", "--top", "2")
    d = json.loads(out)
    assert len(d["options"]) == 2 and d["options"][0]["tuning"] == "richter"


def test_chart_text_and_html(capsys):
    code, out, _ = run(capsys, "chart", "--key", "Low F")
    assert code == 0 and "hole 1 blow = F3" in out
    assert out.splitlines()[4].split()[:3] == ["blow", "F3", "A3"]
    code, out, _ = run(capsys, "chart", "--harmonica", "chromatic", "--format", "html")
    assert out.startswith("<table") and "-4&lt;" in out


@pytest.mark.parametrize(
    "argv, words",
    [
        (["tab", "--notes", "C4", "--style", "fancy"], ["plain", "plus"]),
        (["tab", "--notes", "C4", "--format", "pdf"], ["text", "json"]),
        (["tab", "--notes", "C4", "--harmonica", "tremolo"], ["diatonic", "chromatic"]),
        (["tab", "--notes", "C4", "--holes", "13"], ["10", "12", "16"]),
        (["tab", "--notes", "C4", "--max-bend", "4"], ["0, 1, 2, 3"]),
        (["tab", "--notes", "C4", "--tuning", "spiral"], ["richter", "powerdraw"]),
        (["tab", "--notes", "C4", "--key", "H"], ["Low F", "High G"]),
        (["tab", "--notes", "C4", "--transpose", "up"], ["auto", "none"]),
        (["tab", "--notes", "C4 Q9"], ["C4"]),
        (["tab"], ["INPUT", "--notes"]),
        (["tab", "x.abc", "--notes", "C4"], ["not both"]),
        (["keys", "--notes", "C4", "--top", "0"], ["--top"]),
        (["keys", "--notes", "C4", "--top", "x"], ["--top", "whole number"]),
        (["tab", "--notes", "C4", "--width", "abc"], ["--width", "16"]),
        (["tab", "--notes", "C4", "--key", "C1"], ["C1", "Low F", "C2", "C6"]),
        (["tab", "--notes", "C1 D1", "--transpose", "none"], ["C1 to D1", "C4 to C7"]),
        (["chart", "--tuning", "all"], ["one tuning"]),
        (["keys", "--notes", "C4", "--song-key", "Q major"], ["G major"]),
        (["chart", "--key", "auto"], ["one harp key"]),
        (["chart", "--format", "pdf"], ["text", "html"]),
        (["tab", "/nonexistent/tune.abc"], ["tune.abc"]),
        (["tab", "song.docx"], ["docx"]),
    ],
)
def test_bad_arguments_give_one_line_with_choices(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("harptab: error: ")
    for w in words:
        assert w in lines[0]


def test_malformed_layout_file_names_file_and_field(capsys, tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text('type = "diatonic"\ntuning = "mine"\nreference_key = "C"\n'
                 'blow = ["C4", "E4"]\ndraw = ["D4"]\n', encoding="utf-8")
    code, _, err = run(capsys, "tab", "--notes", "C4", "--layout", str(p))
    assert code == 1 and str(p) in err and "'draw'" in err
    p.write_text('type = "diatonic"\ntuning = "mine"\nreference_key = "C"\n'
                 'blow = ["C4", "E4"]\ndraw = ["D4", "G4"]\n', encoding="utf-8")
    code, out, _ = run(capsys, "tab", "--notes", "C4 D4 E4 G4", "--layout", str(p),
                       "--transpose", "none")
    assert code == 0 and "| 1 -1 2 -2 |" in out


def test_tab_width_and_variants(capsys):
    code, out, _ = run(capsys, "tab", "--notes", " ".join(["C5 D5 E5 F5"] * 12),
                       "--transpose", "none", "--width", "20")
    assert code == 0
    assert all(len(ln) <= 20 for ln in out.splitlines() if not ln.startswith("#"))
    # a tune below every standard harp: --variants lets --key auto pick a low harp
    low = "F3 G3 A3 Bb3 C4 D4 E4 F4"
    code, out, _ = run(capsys, "tab", "--notes", low, "--key", "auto", "--transpose", "none",
                       "--variants")
    assert code == 0 and "in Low F" in out and " X" not in out
    code, out, _ = run(capsys, "tab", "--notes", low, "--key", "auto", "--transpose", "none")
    assert code == 0 and "Low" not in out


def test_tab_every_engine_option(capsys):
    code, out, _ = run(capsys, "tab", "--notes", "C4 D4 E4", "--transpose", "12")
    assert code == 0 and "| 4 -4 5 |" in out and "transposed +12 semitones" in out
    code, out, _ = run(capsys, "tab", "--notes", "D5 Eb5 D5", "--transpose", "none")
    assert code == 0 and "| -4 X -4 |" in out and "1 unplayable (X)" in out
    code, out, _ = run(capsys, "tab", "--notes", "D5 Eb5 D5", "--transpose", "none",
                       "--overbends")
    assert code == 0 and "| -4 4o -4 |" in out and "1 overbend" in out
    code, out, _ = run(capsys, "tab", "--notes", "G4 A4 B4", "--tuning", "paddy_richter",
                       "--transpose", "none", "--format", "json")
    d = json.loads(out)
    assert d["harmonica"]["tuning"] == "paddy_richter" and d["bends"] == 0
    assert [n["tab"] for n in d["notes"]] == ["-2", "3", "-3"]  # A4 is 3 blow on Paddy
    code, out, _ = run(capsys, "tab", "--notes", "D4 E4 F#4 G4 A4 B4 C#5 D5", "--key", "auto",
                       "--format", "json", "--song-key", "D major")
    d = json.loads(out)
    assert (d["harmonica"]["key"], d["transpose_semitones"], d["position"]) == ("D", 12, 1)
    assert d["bends"] == d["unplayable"] == 0
