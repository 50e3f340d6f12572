"""Letters (通知书) rendered to PDF, without Flask: the letter's template helpers, QR code and seal.

    pdf = render_letter_pdf(template_source, context)        # bytes, PDF/A-3b, A4

``template_source`` is the user-editable HTML/CSS template of a program (Jinja2 syntax), rendered in
the sandbox of :mod:`portal.pdf.sandbox` (refusals raise :class:`~portal.pdf.sandbox.TemplateError`
with a message in Chinese and in English) and turned into a PDF by :mod:`portal.pdf.render`.

Context values used by the default template (any template may use others):
``issuer_name``, ``serial_year``/``serial_no`` (or ``serial``), ``recipient_name``, ``program_name``,
``program_year``, ``unit_name``, ``project_title``, ``terms`` (list of str), ``issue_date`` (date),
``verification_code``, ``verification_url``. The renderer adds ``qr_data_uri`` (a PNG data URI of
a QR code to ``verification_url``, one pixel per module: give its <img> ``image-rendering:
pixelated`` for browsers) and ``seal_url``; templates may call ``chinese_date(d)``,
``serial_number(year, n)`` (also as filters: ``{{ issue_date|chinese_date }}``).
:func:`sample_context` gives sample values, e.g. for a live preview.

The QR code is a small PNG rather than an SVG path, and the seal SVG text rather than glyph
outlines: WeasyPrint parses SVG paths again for every PDF. Job workers should keep one renderer
(:func:`letter_renderer`) and call :meth:`LetterRenderer.warm_up` when they start.
"""

from __future__ import annotations

import base64
import datetime
import functools
import io
import threading
from pathlib import Path

from ..chinese import chinese_date, serial_number
from ..pdf.render import STATIC_ROOT, PdfRenderer, get_renderer
from ..pdf.sandbox import TemplateSandbox

#: What letter templates may call, as functions and as filters.
HELPERS = {"chinese_date": chinese_date, "serial_number": serial_number}

#: The default approval letter (入选通知书) template, also used by the benchmark and the tests.
DEFAULT_APPROVAL_TEMPLATE_PATH = STATIC_ROOT / "approval.html"


# -- QR code -------------------------------------------------------------------------------------


def qr_svg_data_uri(url: str, *, dark: str = "#000") -> str:
    """An SVG data URI of a QR code (error correction M, standard 4-module quiet zone) to ``url``.

    Not used by default: WeasyPrint parses the SVG path of a QR code for every PDF (~5 ms);
    see :func:`qr_png_data_uri`.
    """
    import segno

    qr = segno.make(str(url), error="m", micro=False, mask=QR_MASK)
    return qr.svg_data_uri(border=4, dark=dark, unit="mm", omit_charset=True)


# A fixed mask pattern: every mask is valid QR and scans; trying all eight to pick the "best" one cost
# ~3 ms of the ~33 ms a letter takes (each letter has its own verification URL, so nothing can be cached).
QR_MASK = 2


@functools.lru_cache(maxsize=256)  # live previews re-render the same letter
def qr_png_data_uri(url: str) -> str:
    """A PNG data URI of a QR code (error correction M, 4-module quiet zone) to ``url``.

    One pixel per module, 8-bit grey (~300 bytes). The renderer writes every image with
    /Interpolate false (as PDF/A requires), so the modules stay sharp at any size; in a browser,
    give the <img> ``image-rendering: pixelated``.
    """
    import segno
    from PIL import Image

    qr = segno.make(str(url), error="m", micro=False, mask=QR_MASK)
    rows = [bytes(0 if dark else 255 for dark in row) for row in qr.matrix_iter(scale=1, border=4)]
    image = Image.frombytes("L", (len(rows[0]), len(rows)), b"".join(rows))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


# -- Renderer ------------------------------------------------------------------------------------


class LetterRenderer:
    """Renders letters: the sandboxed template to HTML, then the HTML to PDF by ``pdf`` (a
    :class:`~portal.pdf.render.PdfRenderer`; a new one for these directories and switches if not given).

    ``qr_format`` and the PdfRenderer's keyword switches exist to measure each optimisation
    (``bench/letters.py --ablation``); leave them at their defaults.
    """

    def __init__(
        self,
        static_root: Path | str | None = None,
        fonts_dir: Path | str | None = None,
        *,
        qr_format: str = "png",
        pdf: PdfRenderer | None = None,
        **switches,
    ):
        if qr_format not in ("png", "svg"):
            raise ValueError(f"qr_format must be 'png' or 'svg', not {qr_format!r}")
        self.pdf = pdf or PdfRenderer(static_root, fonts_dir, **switches)
        self.qr_format = qr_format
        self.sandbox = TemplateSandbox(HELPERS)

    @property
    def fonts_dir(self) -> Path:
        return self.pdf.fonts_dir

    def check_template(self, template_source: str) -> None:
        """Raise TemplateError if the template does not parse or breaks the sandbox rules."""
        self.sandbox.check(template_source)

    def render_html(self, template_source: str, context: dict) -> str:
        """The template rendered to HTML (for a live preview, or before the PDF)."""
        values = dict(context)
        if "verification_url" in values and "qr_data_uri" not in values:
            make_qr = qr_png_data_uri if self.qr_format == "png" else qr_svg_data_uri
            values["qr_data_uri"] = make_qr(str(values["verification_url"]))
        values.setdefault("seal_url", "seal.svg")
        return self.sandbox.render(template_source, values)

    def render(self, template_source: str, context: dict) -> bytes:
        """The letter as PDF/A-3b bytes."""
        return self.pdf.html_to_pdf(self.render_html(template_source, context))

    def warm_up(self) -> None:
        """Do the once-per-process work now (fonts prepared if missing and loaded, caches filled:
        ~0.3 s) rather than in the first letter. For job workers, when they start."""
        self.render(default_approval_template(), sample_context())


_renderers: dict[PdfRenderer, LetterRenderer] = {}
_renderers_lock = threading.Lock()


def letter_renderer(static_root: Path | str | None = None, fonts_dir: Path | str | None = None) -> LetterRenderer:
    """The process-wide letter renderer for these directories, on the process-wide PDF renderer."""
    pdf = get_renderer(static_root, fonts_dir)
    with _renderers_lock:
        renderer = _renderers.get(pdf)
        if renderer is None:
            renderer = _renderers[pdf] = LetterRenderer(pdf=pdf)
        return renderer


def render_letter_pdf(
    template_source: str, context: dict, *, static_root: Path | str | None = None, fonts_dir: Path | str | None = None
) -> bytes:
    """Render a letter template with ``context`` to PDF/A-3b (A4) bytes.

    ``static_root``: the only directory assets may come from (default ``portal/static/letters``),
    also the base URL of relative references. ``fonts_dir``: prepared fonts (default
    ``instance/letter-fonts``; prepared on first use if missing).

    Raises the errors of :mod:`portal.pdf.sandbox`: TemplateError (syntax, evaluation),
    UndefinedPlaceholderError, TemplateSecurityError, and AssetRefusedError of :mod:`portal.pdf.render`.
    """
    return letter_renderer(static_root, fonts_dir).render(template_source, context)


def check_template(template_source: str) -> None:
    """Raise TemplateError if a template does not parse or breaks the sandbox rules (for the
    template editor, before saving)."""
    letter_renderer().check_template(template_source)


def default_approval_template() -> str:
    return DEFAULT_APPROVAL_TEMPLATE_PATH.read_text(encoding="utf-8")


def sample_context(**overrides) -> dict:
    """Sample values for every placeholder of the default template: for the live preview of the
    template editor (SPEC §6.4) and to warm a renderer up."""
    values = {
        "issuer_name": "人才计划办公室",
        "serial_year": 2026,
        "serial_no": 12,
        "program_name": "青年拔尖人才支持计划",
        "program_year": 2026,
        "recipient_name": "张䶮",
        "unit_name": "华东理工大学",
        "project_title": "面向碳中和的新型催化材料设计与机理研究",
        "terms": [
            "入选者应在收到通知后三十日内签订任务书，明确聘期目标、年度计划和考核指标。",
            "专项经费须按照国家有关规定管理使用，专款专用，不得挪作他用。",
        ],
        "issue_date": datetime.date(2026, 11, 21),
        "verification_code": "7Q4K-M2XD-9PLC",
        "verification_url": "https://talent.example.cn/verify/7Q4K-M2XD-9PLC",
    }
    values.update(overrides)
    return values
