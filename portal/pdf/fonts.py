"""Prepared fonts for letter PDFs (set-up step, run once per machine).

Why: the system Noto CJK fonts are 20-27 MB collections of 65,535 glyphs. WeasyPrint copies the
whole font blob and subsets it with HarfBuzz for every PDF, which costs most of a ~150 ms render.
This module cuts single-face fonts out of them once, at set-up time, into a cache directory (never
committed; :func:`default_fonts_dir`: ``$PORTAL_LETTER_FONTS_DIR``, else
``<instance>/letter-fonts/``):

* ``LetterSerif-Regular.otf``, ``LetterSerif-Bold.otf``, ``LetterSans-Regular.otf``,
  ``LetterSans-Bold.otf``: the *core* faces, ~4,700 glyphs each: ASCII/Latin, punctuation and
  symbols, 〇, and the 3,755 level-1 hanzi of GB 2312 (the most frequent ones). Family names
  "Letter Serif" / "Letter Sans".
* ``LetterSerif-Regular-xNN.otf``, ``LetterSans-Regular-xNN.otf``: every other character of the
  Noto CJK SC face (GB 2312 level 2 first, then CJK Ext. A such as 䶮, Ext. B such as 𠮷,
  GBK-only hanzi such as 堃, Hangul, kana...), split into chunks of ``CHUNK_SIZE`` characters,
  families "Letter Serif X00"...; the renderer makes fontconfig try them right after the core
  family. A letter whose name holds 䶮 only pulls one small chunk, so rare names render at the
  same speed, with the real glyph.

Layout tables (GSUB/GPOS), vertical metrics and hinting are dropped: letters are horizontal, and
WeasyPrint strips GSUB/GPOS and hints from embedded fonts anyway. Charstrings are desubroutinized,
so that :class:`PreparedFontSubsets` can subset them quickly for each PDF.

Fonts are cut with HarfBuzz's subsetter (libharfbuzz-subset, already required by WeasyPrint;
~2 s for all files) or with fontTools when it is missing (a few minutes). The renderer prepares
them on first use if they are missing; to do it at set-up (idempotent: ~0.2 s, nothing rebuilt,
when they are there and up to date with the system fonts)::

    python -m portal.pdf.fonts [--dir DIR] [--force] [--check]

or :func:`prepare_fonts` from Python.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

LOGGER = logging.getLogger(__name__)

#: Bump when the content of prepared fonts changes, so that old caches are rebuilt.
FORMAT_VERSION = 3
#: Characters per extension chunk (smaller chunks: cheaper per PDF, more files to register).
CHUNK_SIZE = 1000
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class FaceSpec:
    key: str  # file name stem, e.g. "LetterSerif-Regular"
    family: str  # family name written into the prepared font
    style: str  # "Regular" or "Bold"
    source_family: str  # system family to cut from
    extension: bool  # whether to also build the rare-character chunks


FACES = (
    FaceSpec("LetterSerif-Regular", "Letter Serif", "Regular", "Noto Serif CJK SC", True),
    FaceSpec("LetterSerif-Bold", "Letter Serif", "Bold", "Noto Serif CJK SC", False),
    FaceSpec("LetterSans-Regular", "Letter Sans", "Regular", "Noto Sans CJK SC", True),
    FaceSpec("LetterSans-Bold", "Letter Sans", "Bold", "Noto Sans CJK SC", False),
)

_KNOWN_PATHS = {
    ("Noto Serif CJK SC", "Regular"): "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    ("Noto Serif CJK SC", "Bold"): "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    ("Noto Sans CJK SC", "Regular"): "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    ("Noto Sans CJK SC", "Bold"): "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
}

# Tables not needed to draw horizontal text in a PDF.
_DROP_TABLES = ("GSUB", "GPOS", "BASE", "JSTF", "VORG", "vhea", "vmtx", "DSIG", "LTSH", "PCLT")

# Blocks always kept in the core font besides GB 2312 (other symbols go to the extension chunks).
_CORE_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 (pinyin with tones such as ǎ is in GB 2312)
    (0x2010, 0x2027),  # Dashes, quotes, ellipsis
    (0x3000, 0x303F),  # CJK symbols and punctuation, including 〇 (not in GB 2312) and 〔〕
    (0xFF01, 0xFF5E),  # Fullwidth forms
)


def default_fonts_dir() -> Path:
    """``$PORTAL_LETTER_FONTS_DIR``, else ``<instance>/letter-fonts`` (``$PORTAL_INSTANCE_DIR``)."""
    explicit = os.environ.get("PORTAL_LETTER_FONTS_DIR")
    if explicit:
        return Path(explicit)
    instance = os.environ.get("PORTAL_INSTANCE_DIR") or Path(__file__).resolve().parents[2] / "instance"
    return Path(instance) / "letter-fonts"


def gb2312_characters(first_row: int = 0xA1, last_row: int = 0xF7) -> set[int]:
    """Characters of GB 2312 rows ``first_row``..``last_row`` (EUC-CN lead bytes).

    Rows A1-A9: 682 symbols; B0-D7: level 1, the 3,755 most frequent hanzi; D8-F7: level 2, 3,008
    less frequent hanzi.
    """
    chars = set()
    for high in range(first_row, last_row + 1):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def core_characters() -> set[int]:
    """What nearly every letter uses: Latin, punctuation, symbols and GB 2312 level-1 hanzi.

    The cost of subsetting a font when writing a PDF grows with its number of glyphs, whatever the
    number of glyphs used, so the core is kept to ~4,700 glyphs.
    """
    chars = gb2312_characters(0xA1, 0xA9) | gb2312_characters(0xB0, 0xD7)
    for start, end in _CORE_RANGES:
        chars.update(range(start, end + 1))
    return chars


def extension_order(rare: set[int]) -> list[int]:
    """Rare characters, GB 2312 level 2 first (grouped: the commonest of them), then the rest."""
    level2 = gb2312_characters(0xD8, 0xF7) & rare
    return sorted(level2) + sorted(rare - level2)


# -- Finding the system fonts -------------------------------------------------------------------


def find_source(family: str, style: str) -> tuple[str, int]:
    """(path, face index) of a system font, via fontconfig's fc-match, else known Debian paths."""
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            out = subprocess.run(
                [fc_match, "-f", "%{file}\t%{index}\t%{family}", f"{family}:style={style}"],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout
            path, index, families = out.split("\t", 2)
            if family in families.split(","):
                return path, int(index)
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    path = _KNOWN_PATHS.get((family, style))
    if path and Path(path).exists():
        return path, _face_index(path, family)
    raise FileNotFoundError(f"System font {family!r} {style} not found: install Debian package fonts-noto-cjk")


def _face_index(path: str, family: str) -> int:
    from fontTools.ttLib import TTCollection, TTFont

    if not path.endswith((".ttc", ".otc")):
        return 0
    with TTCollection(path, lazy=True) as collection:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == family:
                return index
    with TTFont(path, fontNumber=0, lazy=True) as font:
        first = font["name"].getDebugName(1)
    raise FileNotFoundError(f"{family!r} not in {path} ({first!r}...)")


def _source_cmap(path: str, index: int) -> set[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=index, lazy=True) as font:
        return set(font.getBestCmap())


def _fingerprint(path: str) -> str:
    stat = Path(path).stat()
    return f"{path}:{stat.st_size}:{int(stat.st_mtime)}"


# -- Subsetting -----------------------------------------------------------------------------------


def _dlopen(ffi, *names):
    for name in names:
        try:
            return ffi.dlopen(name)
        except OSError:
            continue
    raise OSError(f"cannot load {names[0]}")


class _HarfBuzzSubsetter:
    """Minimal cffi binding of hb-subset (WeasyPrint's own binding lacks the face constructors)."""

    def __init__(self):
        import cffi

        self.ffi = ffi = cffi.FFI()
        ffi.cdef("""
            typedef struct hb_blob_t hb_blob_t;
            typedef struct hb_face_t hb_face_t;
            typedef struct hb_set_t hb_set_t;
            typedef struct hb_subset_input_t hb_subset_input_t;
            typedef uint32_t hb_codepoint_t;
            typedef uint32_t hb_tag_t;
            hb_blob_t * hb_blob_create_from_file (const char *file_name);
            void hb_blob_destroy (hb_blob_t *blob);
            const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
            hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
            void hb_face_destroy (hb_face_t *face);
            hb_blob_t * hb_face_reference_blob (hb_face_t *face);
            unsigned int hb_face_get_glyph_count (const hb_face_t *face);
            void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
            hb_tag_t hb_tag_from_string (const char *str, int len);
            hb_subset_input_t * hb_subset_input_create_or_fail (void);
            void hb_subset_input_destroy (hb_subset_input_t *input);
            hb_set_t * hb_subset_input_unicode_set (hb_subset_input_t *input);
            hb_set_t * hb_subset_input_set (hb_subset_input_t *input, int set_type);
            void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
            hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
            hb_set_t * hb_subset_input_glyph_set (hb_subset_input_t *input);
            void hb_set_add_sorted_array (hb_set_t *set, const hb_codepoint_t *sorted_codepoints,
                                          unsigned int num_codepoints);
            hb_face_t * hb_subset_preprocess (hb_face_t *source);
        """)
        self.hb = _dlopen(ffi, "libharfbuzz.so.0", "harfbuzz", "libharfbuzz-0.dll", "libharfbuzz.0.dylib")
        self.hb_subset = _dlopen(
            ffi, "libharfbuzz-subset.so.0", "harfbuzz-subset", "libharfbuzz-subset-0.dll", "libharfbuzz-subset.0.dylib"
        )
        self._faces = {}

    def _face(self, path, index):
        if (path, index) not in self._faces:
            blob = self.hb.hb_blob_create_from_file(path.encode())
            self._faces[path, index] = self.hb.hb_face_create(blob, index)
            self.hb.hb_blob_destroy(blob)
        return self._faces[path, index]

    def subset(self, path: str, index: int, unicodes: set[int]) -> bytes:
        """The font cut down to the characters ``unicodes`` (used at preparation)."""
        face = self._face(path, index)
        if not self.hb.hb_face_get_glyph_count(face):
            raise OSError(f"HarfBuzz cannot read {path}")
        # HB_SUBSET_FLAGS_NO_HINTING | DESUBROUTINIZE | NOTDEF_OUTLINE
        data = self._run(face, unicodes=sorted(unicodes), drop=_DROP_TABLES, flags=0x01 | 0x04 | 0x40)
        if data is None:
            raise OSError(f"HarfBuzz could not subset {path}")
        return data

    def preprocess(self, path: str, index: int = 0):
        """A face of the file with HarfBuzz's subsetting accelerator attached (kept for the life
        of the process): subsetting it again and again is ~10x faster (hb_subset_preprocess)."""
        return self.hb_subset.hb_subset_preprocess(self._face(path, index))

    def subset_glyphs(self, face, glyph_ids, *, drop=(), flags=0) -> bytes | None:
        """Keep the glyphs ``glyph_ids`` (sorted) of ``face``; None if HarfBuzz fails."""
        return self._run(face, glyph_ids=glyph_ids, drop=drop, flags=flags)

    def _run(self, face, *, unicodes=(), glyph_ids=(), drop=(), flags=0) -> bytes | None:
        hb, hbs, ffi = self.hb, self.hb_subset, self.ffi
        subset_input = hbs.hb_subset_input_create_or_fail()
        if subset_input == ffi.NULL:
            return None
        try:
            for values, target in (
                (unicodes, hbs.hb_subset_input_unicode_set),
                (glyph_ids, hbs.hb_subset_input_glyph_set),
            ):
                if values:
                    array = ffi.new("hb_codepoint_t[]", list(values))
                    hb.hb_set_add_sorted_array(target(subset_input), array, len(values))
            drop_set = hbs.hb_subset_input_set(subset_input, 3)  # HB_SUBSET_SETS_DROP_TABLE_TAG
            for tag in drop:
                hb.hb_set_add(drop_set, hb.hb_tag_from_string(tag.encode(), -1))
            hbs.hb_subset_input_set_flags(subset_input, flags)
            result = hbs.hb_subset_or_fail(face, subset_input)
            if result == ffi.NULL:
                return None
            blob = hb.hb_face_reference_blob(result)
            length = ffi.new("unsigned int *")
            data = ffi.unpack(hb.hb_blob_get_data(blob, length), length[0])
            hb.hb_blob_destroy(blob)
            hb.hb_face_destroy(result)
            return data or None
        finally:
            hbs.hb_subset_input_destroy(subset_input)


def _fonttools_subset(path: str, index: int, unicodes: set[int]) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.drop_tables += list(_DROP_TABLES)
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    with TTFont(path, fontNumber=index, lazy=True) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        out = BytesIO()
        font.save(out)
    return out.getvalue()


def _rename(data: bytes, family: str, style: str, suffix: str = "") -> bytes:
    """Give the cut font its own family name, so it never collides with the system font."""
    from fontTools.ttLib import TTFont

    # Only 'name' is decompiled, other tables are copied raw; the source's timestamps are kept so
    # that two preparations give the same bytes.
    font = TTFont(BytesIO(data), lazy=True, recalcTimestamp=False)
    name = font["name"]
    postscript = f"{family.replace(' ', '')}{suffix}-{style}"
    full = f"{family}{suffix} {style}"
    keep = []
    for record in name.names:
        if record.nameID in (0, 3, 5, 7, 8, 9, 11, 12, 13, 14):  # copyright, licence, version...
            keep.append(record)
    name.names = keep
    values = {1: family, 2: style, 3: f"{postscript};prepared", 4: full, 6: postscript, 16: family, 17: style}
    for name_id, value in values.items():
        name.setName(value, name_id, 3, 1, 0x409)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


def _chunks(codepoints: list[int], size: int) -> list[list[int]]:
    return [codepoints[i : i + size] for i in range(0, len(codepoints), size)]


# -- Public API -----------------------------------------------------------------------------------


def manifest_path(fonts_dir: Path) -> Path:
    return Path(fonts_dir) / MANIFEST


def load_manifest(fonts_dir: Path | str | None = None) -> dict | None:
    """The manifest of a prepared fonts directory, or None when missing, stale or incomplete."""
    fonts_dir = Path(fonts_dir or default_fonts_dir())
    try:
        manifest = json.loads(manifest_path(fonts_dir).read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("format") != FORMAT_VERSION:
        return None
    try:
        for entry in manifest["files"]:
            if (fonts_dir / entry["file"]).stat().st_size != entry["size"]:
                return None
    except (OSError, KeyError, TypeError):
        return None
    return manifest


def prepare_fonts(
    fonts_dir: Path | str | None = None, *, force: bool = False, chunk_size: int = CHUNK_SIZE, use_harfbuzz: bool = True
) -> dict:
    """Build the prepared fonts into ``fonts_dir`` (default :func:`default_fonts_dir`) and return
    the manifest. Idempotent: when the fonts are there and were cut from the current system
    fonts, nothing is rebuilt (~0.1 s); otherwise ~3 s with HarfBuzz. Safe to run from several
    processes at once (a lock file next to the directory; readers never see a half-built one).
    """
    fonts_dir = Path(fonts_dir or default_fonts_dir())
    sources = {(spec.source_family, spec.style): find_source(spec.source_family, spec.style) for spec in FACES}
    fingerprint = hashlib.sha256(
        json.dumps(
            [[*key, _fingerprint(path), index] for key, (path, index) in sorted(sources.items())]
            + [FORMAT_VERSION, chunk_size, sorted(core_characters())]
        ).encode()
    ).hexdigest()[:16]
    existing = load_manifest(fonts_dir)
    if existing and existing.get("fingerprint") == fingerprint and not force:
        return existing
    fonts_dir.parent.mkdir(parents=True, exist_ok=True)
    with _lock_file(fonts_dir.with_name(fonts_dir.name + ".lock")):
        existing = load_manifest(fonts_dir)  # built by another process meanwhile?
        if existing and existing.get("fingerprint") == fingerprint and not force:
            return existing
        return _build(fonts_dir, sources, fingerprint, chunk_size, use_harfbuzz)


class _lock_file:
    """An exclusive advisory lock (fcntl.flock) held while building; a no-op without fcntl."""

    def __init__(self, path: Path):
        self.path = path
        self.file = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # Windows: no lock, the atomic rename still protects readers
            return self
        self.file = open(self.path, "a+b")
        fcntl.flock(self.file.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc_info):
        if self.file is not None:
            self.file.close()  # releases the lock


def _build(fonts_dir: Path, sources: dict, fingerprint: str, chunk_size: int, use_harfbuzz: bool) -> dict:
    started = time.perf_counter()
    subsetter = None
    if use_harfbuzz:
        try:
            subsetter = _HarfBuzzSubsetter()
        except (OSError, AttributeError, ImportError) as exception:
            LOGGER.warning("hb-subset unavailable (%s), using fontTools (slower)", exception)

    core = core_characters()
    staging = Path(tempfile.mkdtemp(prefix=".letter-fonts-", dir=fonts_dir.parent))
    files = []
    try:
        for spec in FACES:
            path, index = sources[spec.source_family, spec.style]
            available = _source_cmap(path, index)
            jobs = [(f"{spec.key}.otf", spec.family, "core", sorted(core & available))]
            if spec.extension:
                rare = extension_order(available - core)
                for number, chunk in enumerate(_chunks(rare, chunk_size)):
                    # Each chunk needs its own family name: WeasyPrint (70) tells the fonts of a
                    # PDF apart by their Pango description (family, style, weight), so two files
                    # of one family would be merged into one embedded font, with wrong glyphs.
                    jobs.append((f"{spec.key}-x{number:02d}.otf", f"{spec.family} X{number:02d}", "ext", chunk))
            for file_name, family, kind, chars in jobs:
                if subsetter is not None:
                    data = subsetter.subset(path, index, set(chars))
                else:
                    data = _fonttools_subset(path, index, set(chars))
                data = _rename(data, family, spec.style)
                (staging / file_name).write_bytes(data)
                files.append(
                    {
                        "file": file_name,
                        "family": family,
                        "base_family": spec.family,
                        "style": spec.style,
                        "weight": 700 if spec.style == "Bold" else 400,
                        "kind": kind,
                        "first": chars[0],
                        "last": chars[-1],
                        "count": len(chars),
                        "size": len(data),
                    }
                )
        manifest = {
            "format": FORMAT_VERSION,
            "fingerprint": fingerprint,
            "chunk_size": chunk_size,
            "sources": {
                f"{family} {style}": {"path": path, "index": index}
                for (family, style), (path, index) in sources.items()
            },
            "files": files,
            "total_bytes": sum(entry["size"] for entry in files),
            "seconds": round(time.perf_counter() - started, 1),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
        staging.chmod(0o755)
        # Swap in atomically-ish: other processes never see a half-written directory.
        old = None
        if fonts_dir.exists():
            old = fonts_dir.with_name(fonts_dir.name + f".old-{os.getpid()}")
            fonts_dir.rename(old)
        staging.rename(fonts_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


# -- Subsetting the prepared fonts when a PDF is written ------------------------------------------


def sfnt_key(data: bytes) -> tuple[int, int, int] | None:
    """(length, checksum of 'head', head.checkSumAdjustment) of a single-font OpenType file.

    checkSumAdjustment is a checksum of the whole file, so this identifies a font file's content
    without reading it all; None for collections and non-fonts.
    """
    if len(data) < 12 or data[:4] not in (b"OTTO", b"\0\1\0\0", b"true"):
        return None
    (count,) = struct.unpack_from(">H", data, 4)
    for i in range(count):
        start = 12 + 16 * i
        if start + 16 > len(data):
            return None
        tag, checksum, offset, length = struct.unpack_from(">4sIII", data, start)
        if tag == b"head":
            if length < 12 or offset + 12 > len(data):
                return None
            return len(data), checksum, struct.unpack_from(">I", data, offset + 8)[0]
    return None


def _file_sfnt_key(path: Path) -> tuple[int, int, int] | None:
    """:func:`sfnt_key` of a file, reading only its table directory and 'head' table."""
    with open(path, "rb") as file:
        header = file.read(12)
        if len(header) < 12 or header[:4] not in (b"OTTO", b"\0\1\0\0", b"true"):
            return None
        (count,) = struct.unpack_from(">H", header, 4)
        directory = file.read(16 * count)
        for i in range(count):
            tag, checksum, offset, length = struct.unpack_from(">4sIII", directory, 16 * i)
            if tag == b"head":
                file.seek(offset + 8)
                (adjustment,) = struct.unpack(">I", file.read(4))
                return os.fstat(file.fileno()).st_size, checksum, adjustment
    return None


class PreparedFontSubsets:
    """Fast subsetting of the prepared fonts, for each PDF written.

    WeasyPrint subsets every embedded font for every PDF with HarfBuzz, from scratch: ~2.5 ms for
    a letter's ~300 glyphs of the core font, whatever the font's size. For a font registered here,
    :meth:`subset` gives the same font program (same glyphs, same ids) from a face preprocessed once
    per process (``hb_subset_preprocess``) and without re-flattening charstrings (the prepared
    fonts have no subroutines): ~0.3 ms. Thread-safe.
    """

    # HB_SUBSET_FLAGS_RETAIN_GIDS | PASSTHROUGH_UNRECOGNIZED, as WeasyPrint; NO_HINTING unless
    # hinting is asked for; NOTDEF_OUTLINE when WeasyPrint found missing glyphs.
    _RETAIN_GIDS, _PASSTHROUGH, _NO_HINTING, _NOTDEF_OUTLINE = 0x02, 0x20, 0x01, 0x40
    #: Tables WeasyPrint drops from embedded fonts.
    DROP_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")

    def __init__(self, subsetter: _HarfBuzzSubsetter | None = None):
        self._subsetter = subsetter or _HarfBuzzSubsetter()
        self._paths: dict[tuple, Path] = {}  # sfnt key -> prepared file
        self._faces: dict[tuple, object] = {}  # sfnt key -> preprocessed face (once verified)
        self._lock = threading.Lock()

    def register_manifest(self, fonts_dir: Path | str, manifest: dict) -> None:
        for entry in manifest["files"]:
            self.register(Path(fonts_dir) / entry["file"])

    def register(self, path: Path | str) -> None:
        key = _file_sfnt_key(Path(path))
        if key is not None:
            with self._lock:
                self._paths.setdefault(key, Path(path))

    def face_for(self, data: bytes):
        """The preprocessed face of the registered file whose content is ``data``, else None."""
        key = sfnt_key(data)
        if key is None:
            return None
        face = self._faces.get(key)
        if face is not None:
            return face
        path = self._paths.get(key)
        if path is None:
            return None
        with self._lock:
            face = self._faces.get(key)
            if face is None:
                try:
                    same = Path(path).read_bytes() == data  # once per file and process
                except OSError:
                    same = False
                if not same:
                    del self._paths[key]
                    return None
                face = self._faces[key] = self._subsetter.preprocess(str(path), 0)
        return face

    def subset(self, data: bytes, glyph_ids, *, hinting: bool = False, notdef_outline: bool = False) -> bytes | None:
        """``data`` (a registered font's bytes) cut down to ``glyph_ids``, glyph ids kept; None
        if ``data`` is not a registered font (or HarfBuzz fails): subset it some other way."""
        face = self.face_for(data)
        if face is None:
            return None
        flags = self._RETAIN_GIDS | self._PASSTHROUGH
        if not hinting:
            flags |= self._NO_HINTING
        if notdef_outline:
            flags |= self._NOTDEF_OUTLINE
        glyphs = sorted({0, *glyph_ids})
        return self._subsetter.subset_glyphs(face, glyphs, drop=self.DROP_TABLES, flags=flags)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m portal.pdf.fonts",
        description="Prepare the fonts used to render letter PDFs (run once at set-up).",
    )
    parser.add_argument("--dir", type=Path, default=None, help=f"output directory (default: {default_fonts_dir()})")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument(
        "--check", action="store_true", help="only check; exit status 1 if the fonts are missing or stale"
    )
    parser.add_argument("--fonttools", action="store_true", help="subset with fontTools instead of HarfBuzz (slow)")
    args = parser.parse_args(argv)
    fonts_dir = args.dir or default_fonts_dir()
    if args.check:
        manifest = load_manifest(fonts_dir)
        print(f"{fonts_dir}: {'ok' if manifest else 'missing or stale'}")
        return 0 if manifest else 1
    started = time.perf_counter()
    before = load_manifest(fonts_dir)
    manifest = prepare_fonts(fonts_dir, force=args.force, use_harfbuzz=not args.fonttools)
    seconds = time.perf_counter() - started
    unchanged = not args.force and before is not None and before.get("fingerprint") == manifest["fingerprint"]
    state = "up to date, nothing rebuilt" if unchanged else "built"
    print(
        f"{fonts_dir}: {len(manifest['files'])} font files, "
        f"{manifest['total_bytes'] / 1e6:.1f} MB, {state} ({seconds:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
