"""Step ``ocr``: read a score file (or a music21 corpus name) into a music21 score.

Symbolic formats (MusicXML, .mxl, MIDI, ABC, Humdrum) are parsed by music21 here;
images and PDF go to the optical-recognition backend in ``harptab_nb.omr``.
Every failure a musician can cause (missing file, wrong type, corrupt or empty score)
becomes a typed :class:`~harptab_nb.errors.InputError` with a message saying what to do.

music21 is imported inside functions so ``import harptab_nb`` stays light.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EmptyScore, HarptabError, InputError, ScoreReadError, UnsupportedInput
from ..tracker import ProgressTracker, step_scope

STEP_ID = "ocr"

#: Largest uncompressed size we accept inside a .mxl archive (declared and actual).
MXL_MAX_BYTES = 50 * 1024 * 1024
#: Largest plain score file we hand to a parser.
FILE_MAX_BYTES = 100 * 1024 * 1024

#: File extension -> (format id, music21 format name or None for OMR).
SYMBOLIC_FORMATS: dict[str, str] = {
    ".musicxml": "musicxml",
    ".xml": "musicxml",
    ".mxl": "mxl",
    ".mid": "midi",
    ".midi": "midi",
    ".abc": "abc",
    ".krn": "humdrum",
}
IMAGE_FORMATS: frozenset[str] = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"})

_FORMAT_LABEL = {
    "musicxml": "MusicXML",
    "mxl": "compressed MusicXML (.mxl)",
    "midi": "MIDI",
    "abc": "ABC",
    "humdrum": "Humdrum",
    "omr": "image/PDF (optical recognition)",
    "music21": "music21 stream",
}
_TUNE_SUFFIX = re.compile(r"^(?P<path>.+)#(?P<n>\d+)$")
_ABC_REF = re.compile(r"^X:\s*(\d+)", re.MULTILINE)


@dataclass
class ScoreResult:
    """What the ``ocr`` step read: the music21 score plus what a title line needs.

    ``format`` is one of ``musicxml mxl midi abc humdrum omr music21``; ``n_notes``
    counts pitched note events (a chord counts once); ``warnings`` are notes for the
    user (tune picked in a multi-tune file, recognition doubts, parser remarks).
    """

    score: Any
    source: str
    format: str
    title: str = ""
    composer: str = ""
    n_notes: int = 0
    n_parts: int = 0
    warnings: list[str] = field(default_factory=list)

    def __repr__(self) -> str:  # the score's own repr is long and unstable
        return (
            f"ScoreResult(source={self.source!r}, format={self.format!r}, "
            f"title={self.title!r}, n_notes={self.n_notes}, n_parts={self.n_parts})"
        )


def demo_tunes() -> dict[str, Path]:
    """The tunes shipped in ``harptab_nb/data`` (name -> path), for demos and notebooks.

    ``read_score("demo:aloha_oe")`` reads one of them.
    """
    folder = Path(__file__).resolve().parent.parent / "data"
    return {p.stem: p for p in sorted(folder.glob("*.musicxml"))}


def supported_extensions() -> tuple[str, ...]:
    """All file extensions ``read_score`` accepts (symbolic first, then images/PDF)."""
    return tuple(SYMBOLIC_FORMATS) + tuple(sorted(IMAGE_FORMATS))


def read_score(
    source: str | Path | Any,
    *,
    tune: int | None = None,
    ocr_backend: str = "auto",
    tracker: ProgressTracker | None = None,
) -> ScoreResult:
    """Read ``source`` into a :class:`ScoreResult`.

    ``source`` is a file path (``.musicxml .xml .mxl .mid .midi .abc .krn`` or an
    image/PDF for optical recognition), a corpus name ``corpus:airdsAirs/book1.abc#4``,
    a shipped tune ``demo:aloha_oe`` (see :func:`demo_tunes`) or a music21 stream. In a multi-tune ABC file pick the tune by its
    ``X:`` number with ``tune=N`` or a ``#N`` suffix; without one the first tune is read.
    """
    with step_scope(tracker, STEP_ID, "Reading the score") as st:
        with st.substep("ocr_init", "Choosing a reader") as sub:
            plan = _plan(source, tune)
            sub.done(f"{_FORMAT_LABEL[plan.format]} reader")
        with st.substep("ocr_process", f"Parsing {plan.label}") as sub:
            if plan.format == "omr":
                score, notes = _recognize(plan, ocr_backend, sub)
            else:
                score, notes = _parse(plan)
            plan.warnings.extend(notes)
            sub.done(f"{plan.label} parsed")
        with st.substep("ocr_parse", "Counting notes") as sub:
            result = _build(score, plan)
            sub.done(f"{result.n_notes} notes read")
        st.done(f"{result.n_notes} notes in {result.n_parts} part"
                f"{'s' if result.n_parts != 1 else ''}")
        return result


# --------------------------------------------------------------------- planning


@dataclass
class _Plan:
    format: str
    label: str
    path: Path | None = None
    tune: int | None = None
    stream: Any = None
    warnings: list[str] = field(default_factory=list)


def _plan(source: Any, tune: int | None) -> _Plan:
    """Decide which reader to use; check the file exists and the tune number is valid."""
    if tune is not None and (isinstance(tune, bool) or not isinstance(tune, int) or tune < 0):
        raise UnsupportedInput(f"tune must be a whole number (the ABC X: number), not {tune!r}")
    if _is_stream(source):
        return _Plan("music21", "music21 stream", stream=source)
    if not isinstance(source, (str, Path)):
        raise UnsupportedInput(
            f"cannot read a score from a {type(source).__name__}; give a file path, "
            "a corpus name like 'corpus:airdsAirs/book1.abc#4' or a music21 stream"
        )
    text = str(source).strip()
    if not text:
        raise UnsupportedInput("no score given: pass a file path or a corpus name")
    if text.startswith("demo:"):
        tunes = demo_tunes()
        name = text[len("demo:"):].strip()
        if name not in tunes:
            raise UnsupportedInput(
                f"no demo tune {name!r}; choose one of {', '.join(sorted(tunes))}"
            )
        text = str(tunes[name])
    if text.startswith("corpus:"):
        path, tune, name = _corpus_path(text[len("corpus:"):], tune)
        label = f"corpus:{name}"
    else:
        path = Path(text).expanduser()
        if not path.exists():
            m = _TUNE_SUFFIX.match(text)
            if m and Path(m["path"]).expanduser().exists():
                path = Path(m["path"]).expanduser()
                tune = _merge_tune(tune, int(m["n"]))
        label = path.name
    if not path.exists():
        raise InputError(f"score file not found: {path} (check the name and the folder)")
    if path.is_dir():
        raise UnsupportedInput(f"{path} is a folder; give the score file inside it")
    ext = path.suffix.lower()
    if ext in IMAGE_FORMATS:
        return _Plan("omr", label, path=path)
    fmt = SYMBOLIC_FORMATS.get(ext)
    if fmt is None:
        raise UnsupportedInput(
            f"cannot read {path.name!r}: unknown file type {ext or '(no extension)'!r}. "
            f"Use one of: {', '.join(supported_extensions())}"
        )
    size = path.stat().st_size
    if size == 0:
        raise EmptyScore(f"{path.name} is an empty file")
    if size > FILE_MAX_BYTES:
        raise ScoreReadError(
            f"{path.name} is {size / 2**20:.0f} MB, larger than the "
            f"{FILE_MAX_BYTES // 2**20} MB a score file can be"
        )
    plan = _Plan(fmt, label, path=path, tune=tune)
    if fmt == "abc":
        _check_abc_tune(plan)
    elif tune is not None:
        raise UnsupportedInput(f"tune={tune} only applies to ABC files, not {_FORMAT_LABEL[fmt]}")
    return plan


def _is_stream(obj: Any) -> bool:
    """True for a music21 Stream, without importing music21 when it is not loaded."""
    mod = type(obj).__module__ or ""
    if not mod.startswith("music21"):
        return False
    from music21 import stream

    return isinstance(obj, stream.Stream)


def _merge_tune(tune: int | None, from_name: int) -> int:
    if tune is not None and tune != from_name:
        raise UnsupportedInput(f"two different tune numbers given: #{from_name} and tune={tune}")
    return from_name


def _corpus_path(name: str, tune: int | None) -> tuple[Path, int | None, str]:
    """Resolve ``airdsAirs/book1.abc#4`` to a file in music21's bundled corpus."""
    m = _TUNE_SUFFIX.match(name)
    if m:
        name, tune = m["path"], _merge_tune(tune, int(m["n"]))
    name = name.strip()
    if not name:
        raise UnsupportedInput("empty corpus name; write e.g. 'corpus:airdsAirs/book1.abc#4'")
    from music21 import corpus

    try:
        found = corpus.getWork(name)
    except Exception as exc:  # music21 raises CorpusException for unknown names
        raise UnsupportedInput(
            f"no work named {name!r} in the music21 corpus "
            "(try e.g. 'corpus:airdsAirs/book1.abc#4' or 'corpus:bach/bwv66.6')"
        ) from exc
    if isinstance(found, list):
        if not found:
            raise UnsupportedInput(f"no work named {name!r} in the music21 corpus")
        found = sorted(found, key=lambda p: (Path(p).suffix != ".mxl", str(p)))[0]
    return Path(found), tune, name


def _check_abc_tune(plan: _Plan) -> None:
    """Validate the tune number against the file's ``X:`` fields; default to the first."""
    assert plan.path is not None
    text = plan.path.read_text(encoding="utf-8", errors="replace")
    refs = [int(x) for x in _ABC_REF.findall(text)]
    if not refs:
        if plan.tune not in (None, 1):
            raise UnsupportedInput(
                f"{plan.label} holds a single tune (no X: numbers); tune {plan.tune} does not exist"
            )
        plan.tune = None
        return
    if plan.tune is None:
        if len(refs) > 1:
            plan.tune = refs[0]
            plan.warnings.append(
                f"{plan.label} holds {len(refs)} tunes; reading the first (X:{refs[0]}). "
                "Choose another with tune=N or '#N' after the file name."
            )
            plan.label = f"{plan.label}#{refs[0]}"
        return
    if plan.tune not in refs:
        shown = ", ".join(str(r) for r in refs[:12]) + (" ..." if len(refs) > 12 else "")
        raise UnsupportedInput(
            f"tune {plan.tune} is not in {plan.label}: it holds {len(refs)} tune"
            f"{'s' if len(refs) != 1 else ''} numbered {shown}"
        )
    if not plan.label.endswith(f"#{plan.tune}"):
        plan.label = f"{plan.label}#{plan.tune}"


# --------------------------------------------------------------------- parsing


def _parse(plan: _Plan) -> tuple[Any, list[str]]:
    """Parse a symbolic file with music21; never writes its pickle cache, never uses network."""
    if plan.format == "music21":
        return plan.stream, []
    from music21 import converter

    assert plan.path is not None
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if plan.format == "mxl":
                data = _decode_xml(_read_mxl(plan.path))
                score = converter.parseData(data, format="musicxml", forceSource=True)
            elif plan.format == "abc":
                score = converter.parseFile(
                    plan.path, format="abc", number=plan.tune, forceSource=True,
                    storePickle=False,
                )
            else:
                score = converter.parseFile(
                    plan.path, format=plan.format, forceSource=True, storePickle=False
                )
        except HarptabError:
            raise
        except Exception as exc:
            raise ScoreReadError(_parse_failure(plan, exc)) from exc
    for w in caught:
        msg = str(w.message).strip()
        if msg and msg not in notes and len(notes) < 10:
            notes.append(msg)
    return score, notes


def _parse_failure(plan: _Plan, exc: Exception) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if len(detail) > 160:
        detail = detail[:157] + "..."
    return (
        f"{plan.label} could not be read as {_FORMAT_LABEL[plan.format]}: the file looks "
        f"damaged or is not really {_FORMAT_LABEL[plan.format]} ({detail})"
    )


def _read_mxl(path: Path, limit: int | None = None) -> bytes:
    """The MusicXML document inside a .mxl archive, with size checks before unzipping.

    We unzip ourselves (not music21) so a zip bomb is refused from its declared sizes
    and, should those lie, stopped while reading once ``limit`` bytes came out.
    """
    limit = MXL_MAX_BYTES if limit is None else limit
    if not zipfile.is_zipfile(path):
        raise ScoreReadError(
            f"{path.name} is not a valid .mxl file (a .mxl is a zip archive holding "
            "MusicXML); re-export it from your notation program"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            declared = sum(i.file_size for i in infos)
            if declared > limit:
                raise ScoreReadError(
                    f"{path.name} would unpack to {declared / 2**20:.0f} MB, more than the "
                    f"{limit // 2**20} MB allowed for a score; refusing to open it"
                )
            member = _mxl_rootfile(zf)
            if member is None:
                raise ScoreReadError(
                    f"{path.name} is a zip archive but has no MusicXML score inside"
                )
            out = bytearray()
            with zf.open(member) as fh:
                while True:
                    chunk = fh.read(1 << 16)
                    if not chunk:
                        break
                    out += chunk
                    if len(out) > limit:
                        raise ScoreReadError(
                            f"{path.name} unpacks to more than {limit // 2**20} MB; "
                            "refusing to open it"
                        )
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise ScoreReadError(f"{path.name} is a damaged .mxl archive ({exc})") from exc
    if not out.strip():
        raise ScoreReadError(f"{path.name} holds an empty MusicXML document")
    return bytes(out)


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def _decode_xml(data: bytes) -> str:
    """MusicXML bytes as text, honouring a BOM or the declared encoding (Sibelius
    writes UTF-16); the declaration is dropped so the parser does not re-decode."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        m = _XML_ENCODING.match(data[:200])
        encoding = m.group(1).decode("ascii") if m else "utf-8"
    try:
        text = data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        text = data.decode("utf-8", errors="replace")
    return _XML_DECL.sub("", text, count=1).lstrip()


def _mxl_rootfile(zf: zipfile.ZipFile) -> str | None:
    """The score member of a .mxl: META-INF/container.xml's rootfile, else the first .xml."""
    names = set(zf.namelist())
    if "META-INF/container.xml" in names:
        info = zf.getinfo("META-INF/container.xml")
        if info.file_size < 1 << 20:
            text = zf.read(info).decode("utf-8", errors="replace")
            for m in re.finditer(r"full-path\s*=\s*[\"']([^\"']+)[\"']", text):
                if m[1] in names and not m[1].lower().endswith(".pdf"):
                    return m[1]
    for n in sorted(names):
        low = n.lower()
        if low.startswith("meta-inf/") or n.endswith("/"):
            continue
        if low.endswith((".xml", ".musicxml")):
            return n
    return None


def _recognize(plan: _Plan, backend: str, sub: Any) -> tuple[Any, list[str]]:
    """Hand an image/PDF to ``harptab_nb.omr.recognize`` (owned by the OMR module)."""
    if importlib.util.find_spec("harptab_nb.omr") is None:
        raise UnsupportedInput(
            f"{plan.label}: reading images and PDF needs the optical music recognition "
            "(OMR) backend, which is not installed; give a MusicXML, MIDI or ABC file instead"
        )
    try:
        omr = importlib.import_module("harptab_nb.omr")
    except ImportError as exc:
        raise UnsupportedInput(
            f"{plan.label}: reading images and PDF needs the OMR backend, which could not "
            f"be loaded ({exc}); give a MusicXML, MIDI or ABC file instead"
        ) from exc
    recognize = getattr(omr, "recognize", None)
    if recognize is None:
        raise UnsupportedInput(
            "reading images and PDF needs the OMR backend (harptab_nb.omr.recognize), "
            "which is not available in this install"
        )

    def progress(pct: float, msg: str | None = None) -> None:
        sub.progress(max(0.0, min(100.0, float(pct))), msg)

    try:
        score, notes = recognize(plan.path, backend=backend, progress=progress)
    except HarptabError as exc:
        text = str(exc)
        if plan.label not in text:  # "no staff lines found": say which file
            exc.args = (f"{plan.label}: {text}", *exc.args[1:])
        raise
    except Exception as exc:
        raise ScoreReadError(f"{plan.label}: optical recognition failed ({exc})") from exc
    return score, [str(n) for n in (notes or [])]


# --------------------------------------------------------------------- building


def _build(score: Any, plan: _Plan) -> ScoreResult:
    """Normalise to a Score, count pitched notes, refuse empty or percussion-only scores."""
    score = _as_score(score, plan)
    parts = list(score.parts) or [score]
    pitched, unpitched = count_notes(score)
    if pitched == 0:
        if unpitched:
            raise EmptyScore(
                f"{plan.label} holds only percussion ({unpitched} unpitched notes); "
                "a harmonica needs a part with pitched notes"
            )
        raise EmptyScore(f"{plan.label} holds no notes to play")
    title, composer = score_titles(score)
    if not title and plan.path is not None:
        title = plan.path.stem.replace("_", " ")
    if plan.path is None or plan.label.startswith("corpus:"):
        source = plan.label
    else:
        source = str(plan.path) + (f"#{plan.tune}" if plan.tune is not None else "")
    return ScoreResult(
        score=score,
        source=source,
        format=plan.format,
        title=title,
        composer=composer,
        n_notes=pitched,
        n_parts=len(parts),
        warnings=plan.warnings,
    )


def _as_score(obj: Any, plan: _Plan) -> Any:
    from music21 import stream

    if isinstance(obj, stream.Opus):
        scores = list(obj.scores)
        if not scores:
            raise EmptyScore(f"{plan.label} holds no tunes")
        if len(scores) > 1:
            plan.warnings.append(f"{plan.label} holds {len(scores)} pieces; reading the first")
        obj = scores[0]
    if isinstance(obj, stream.Score):
        return obj
    if isinstance(obj, stream.Stream):
        sc = stream.Score()
        if obj.metadata is not None:
            sc.metadata = obj.metadata
        if isinstance(obj, stream.Part):
            sc.insert(0, obj)
        else:
            part = stream.Part()
            for el in obj:
                part.insert(el.offset, el)
            sc.insert(0, part)
        return sc
    raise ScoreReadError(f"{plan.label}: the reader returned no score")


def count_notes(score: Any) -> tuple[int, int]:
    """(pitched note events, unpitched/percussion events); a chord counts once."""
    from music21 import chord, harmony, note, percussion

    pitched = unpitched = 0
    for n in score.recurse().notes:
        if isinstance(n, harmony.Harmony):  # chord symbols are not played notes
            continue
        if isinstance(n, (note.Unpitched, percussion.PercussionChord)):
            unpitched += 1
        elif isinstance(n, (note.Note, chord.Chord)):
            pitched += 1
    return pitched, unpitched


def score_titles(score: Any) -> tuple[str, str]:
    """(title, composer) from the score's metadata, empty strings when absent."""
    md = getattr(score, "metadata", None)
    if md is None:
        return "", ""
    title = ""
    for attr in ("title", "movementName"):
        val = getattr(md, attr, None)
        if val:
            title = str(val).strip()
            break
    composer = str(md.composer or "").strip() if getattr(md, "composer", None) else ""
    return title, composer
