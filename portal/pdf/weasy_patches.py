"""Every use of WeasyPrint's and pydyf's internals, in one place: checked against the versions below.

The renderer (portal/pdf/render.py) goes through WeasyPrint's public API (HTML, CSS, URLFetcher,
``write_pdf`` options) except for three things, all here:

* :func:`make_finisher` swaps the class of pydyf's streams (``pydyf.Stream.data``, ``pydyf._to_bytes``)
  so that each stream is compressed once, and sets /Interpolate false on images (PDF/A);
* :func:`font_configuration` adds rules and font files to the fontconfig set of a WeasyPrint
  ``FontConfiguration`` (its private ``_config``, the cffi bindings of ``weasyprint.text.ffi``);
* :func:`install_subset_hook` wraps ``weasyprint.pdf.fonts.Font.subset`` (and reads its ``index``,
  ``variations``, ``missing`` and ``file_content``) to subset the prepared fonts from preprocessed faces.

They were written for and checked against :data:`CHECKED_VERSIONS`; tests/unit/test_weasy_patches.py
fails when the installed versions differ (and when requirements.txt pins others): upgrading WeasyPrint or
pydyf means reading these functions against the new code, running the letter tests, then moving the pins.
"""

from __future__ import annotations

import contextvars
import zlib
from xml.sax.saxutils import escape as xml_escape

#: The versions of WeasyPrint and pydyf whose internals this module was written for and checked against.
CHECKED_VERSIONS = {"weasyprint": "70.0", "pydyf": "0.13.0"}


# -- PDF objects ---------------------------------------------------------------------------------


def make_finisher(compress_once: bool, level: int):
    """A WeasyPrint ``finisher``: a hook run on the finished PDF objects, before writing.

    * Images get /Interpolate false: PDF/A-2 and -3 forbid true (ISO 19005-2, 6.2.8), which
      WeasyPrint writes for ``image-rendering: auto``.
    * With ``compress_once``, each stream is compressed once, at ``level``: pydyf computes
      ``Stream.data`` each time it is read, compressing at level 9, and writing a PDF with an
      identifier (required by PDF/A) reads every object twice.
    """
    import pydyf

    class OnceCompressedStream(pydyf.Stream):
        """A pydyf stream whose bytes are computed (and compressed) once."""

        @property
        def data(self):
            cached = self.__dict__.get("_once_data")
            if cached is None:
                stream = b"\n".join(pydyf._to_bytes(item) for item in self.stream)
                extra = pydyf.Dictionary(self.extra.copy())
                if self.compress:
                    extra["Filter"] = "/FlateDecode"
                    stream = zlib.compress(stream, level)
                extra["Length"] = len(stream)
                cached = self.__dict__["_once_data"] = b"\n".join((extra.data, b"stream", stream, b"endstream"))
            return cached

    def no_interpolation(extra):
        if extra.get("Subtype") == "/Image" and "Interpolate" in extra:
            extra["Interpolate"] = "false"
            mask = extra.get("SMask")
            if isinstance(mask, pydyf.Stream):
                no_interpolation(mask.extra)

    def finisher(document, pdf):
        for pdf_object in pdf.objects:
            if isinstance(pdf_object, pydyf.Stream):
                no_interpolation(pdf_object.extra)
                if compress_once and type(pdf_object) is pydyf.Stream:
                    pdf_object.__class__ = OnceCompressedStream

    return finisher


# -- Fonts ---------------------------------------------------------------------------------------


def font_configuration(entries):
    """A WeasyPrint FontConfiguration whose fontconfig set also holds the font files of ``entries``.

    ``entries``: (path, extra family names, family to match or None). A fontconfig "scan" rule gives each
    file the extra names (when it holds that family, if one is given); the system fonts stay available.
    """
    from weasyprint.text.ffi import ffi, fontconfig, pangoft2
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    rules = []
    for path, extra, test_family in entries:
        test = f'<test name="file" compare="eq"><string>{xml_escape(path)}</string></test>'
        if test_family:
            test += f'<test name="family" compare="eq"><string>{xml_escape(test_family)}</string></test>'
        families = "".join(f"<string>{xml_escape(name)}</string>" for name in extra)
        rules.append(f'<match target="scan">{test}<edit name="family" mode="append">{families}</edit></match>')
    xml = (
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">'
        f"<fontconfig>{''.join(rules)}</fontconfig>"
    ).encode()
    config = font_config._config
    if not fontconfig.FcConfigParseAndLoadFromMemory(config, xml, True):
        raise RuntimeError("fontconfig refused the letter font rules")
    for path in dict.fromkeys(path for path, _extra, _test in entries):
        if not fontconfig.FcConfigAppFontAddFile(config, path.encode()):
            raise RuntimeError(f"fontconfig cannot load {path}")
    pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", font_config.font_map))
    return font_config


#: The PreparedFontSubsets in use by the PDF being written in this thread (None: WeasyPrint's own
#: subsetting). Set by PdfRenderer.html_to_pdf only, so other PDFs of the process are untouched.
ACTIVE_SUBSETS: contextvars.ContextVar = contextvars.ContextVar("letter_font_subsets", default=None)


def install_subset_hook() -> None:
    """Route WeasyPrint's font subsetting (``weasyprint.pdf.fonts.Font.subset``, called once per
    embedded font and PDF) to the active PreparedFontSubsets when the font is a prepared one.

    Anything else (another font, no active renderer, a WeasyPrint whose ``Font`` differs) goes to
    WeasyPrint's own code, so the hook can only make a letter faster, never different: the font
    program is the same (same glyphs, same glyph ids; checked by the tests).
    """
    from weasyprint.pdf import fonts as pdf_fonts

    font_class = pdf_fonts.Font
    original = font_class.subset
    if getattr(original, "_letter_fast_subset", False):
        return

    def subset(font, to_unicode, hinting):
        subsets = ACTIVE_SUBSETS.get()
        if subsets is not None and to_unicode:
            try:
                data = None
                if not font.index and not font.variations:
                    data = subsets.subset(
                        font.file_content, to_unicode, hinting=hinting, notdef_outline=bool(font.missing)
                    )
            except AttributeError:  # another WeasyPrint version
                data = None
            if data:
                font.file_content = data
                return None
        return original(font, to_unicode, hinting)

    subset._letter_fast_subset = True
    subset.__wrapped__ = original
    font_class.subset = subset
