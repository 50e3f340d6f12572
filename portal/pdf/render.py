"""Render letters (通知书) to PDF, without Flask.

    pdf = render_letter_pdf(template_source, context)        # bytes, PDF/A-3b, A4

``template_source`` is the user-editable HTML/CSS template of a program (Jinja2 syntax), rendered in
a sandbox: autoescaping on, undefined placeholders are errors, no access to Python internals, no
include/import/extends. Every refusal raises a :class:`TemplateError` (or a subclass) carrying a
message in Chinese and in English, fit to show to the program admin in the template editor.

Context values used by the default template (any template may use others):
``issuer_name``, ``serial_year``/``serial_no`` (or ``serial``), ``recipient_name``, ``program_name``,
``program_year``, ``unit_name``, ``project_title``, ``terms`` (list of str), ``issue_date`` (date),
``verification_code``, ``verification_url``. The renderer adds ``qr_data_uri`` (a PNG data URI of
a QR code to ``verification_url``, one pixel per module: give its <img> ``image-rendering:
pixelated`` for browsers) and ``seal_url``; templates may call ``chinese_date(d)``,
``serial_number(year, n)`` (also as filters: ``{{ issue_date|chinese_date }}``).
:func:`sample_context` gives sample values, e.g. for a live preview.

Assets: the PDF is made by WeasyPrint with a URL fetcher that serves only files under
``portal/static/letters/`` (relative URLs such as ``seal.svg`` resolve there) and ``data:`` URLs;
any other URL (``file:`` elsewhere, ``http(s):``, ...) is refused without being read, and the
render fails with :class:`AssetRefusedError`. Nothing is fetched from the network.

Speed (SPEC §9: <= 50 ms median per one-page letter, see ``bench/letters.py`` and
docs/benchmarks.md): a renderer keeps, per process, one FontConfiguration holding the prepared
fonts of :mod:`portal.pdf.fonts` (small single-face cuts of Noto CJK, plus small chunks for
rare characters; prepared on first use if missing), the parsed built-in stylesheets, compiled
templates, parsed template stylesheets and the parsed seal. When a PDF is written, the prepared
fonts are subset from faces preprocessed once per process (:func:`_install_subset_hook`), the QR
code is a small PNG rather than an SVG path, the seal is SVG text rather than glyph outlines (SVG
paths are parsed again for every PDF), and each PDF stream is compressed once, at level 1
(WeasyPrint 70 / pydyf compress every stream twice at level 9 when a PDF identifier is written,
which PDF/A requires). Job workers should keep one renderer (:func:`get_renderer`) and call
:meth:`LetterRenderer.warm_up` when they start.
"""
from __future__ import annotations

import base64
import contextvars
import functools
import hashlib
import io
import logging
import mimetypes
import re
import threading
import zlib
from collections import OrderedDict
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname
from xml.sax.saxutils import escape as xml_escape

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from . import fonts as letter_fonts
from ..chinese import chinese_date, serial_number

LOGGER = logging.getLogger(__name__)

#: The only directory the renderer reads assets from.
STATIC_ROOT = Path(__file__).resolve().parent.parent / "static" / "letters"
#: Largest HTML a template may produce, and largest data: URL accepted.
MAX_HTML_CHARS = 1_000_000
MAX_DATA_URL_BYTES = 2_000_000
#: Fonts families a template can name and that the prepared fonts answer to (besides
#: "Letter Serif"/"Letter Sans"). Other families (e.g. the system's "Noto Serif CJK SC") still
#: work, but render at the slow speed of the full system fonts.
FONT_ALIASES = {
    "Letter Serif": (
        "宋体", "SimSun", "新宋体", "NSimSun", "华文宋体", "STSong", "Songti SC", "思源宋体",
        "Source Han Serif SC", "Source Han Serif CN", "仿宋", "FangSong", "仿宋_GB2312",
        "FangSong_GB2312", "楷体", "KaiTi", "楷体_GB2312", "KaiTi_GB2312"),
    "Letter Sans": (
        "黑体", "SimHei", "微软雅黑", "Microsoft YaHei", "华文黑体", "STHeiti", "Heiti SC",
        "苹方", "PingFang SC", "思源黑体", "Source Han Sans SC", "Source Han Sans CN"),
}
_SYSTEM_FAMILIES = {"Letter Serif": "Noto Serif CJK SC", "Letter Sans": "Noto Sans CJK SC"}

# Applied under the template's own CSS (user origin): default font.
_BASE_CSS = 'html { font-family: "Letter Serif"; }'
# Applied over it: letters are A4, whatever the template says.
_FORCED_CSS = "@page { size: A4 !important; }"


# -- Errors --------------------------------------------------------------------------------------


class TemplateError(Exception):
    """A letter template cannot be rendered. ``message_zh`` / ``message_en`` are for the admin."""

    def __init__(self, message_zh: str, message_en: str, *, lineno: int | None = None):
        self.message_zh = message_zh
        self.message_en = message_en
        self.lineno = lineno
        super().__init__(f"{message_en} / {message_zh}")

    def message(self, locale: str = "zh") -> str:
        return self.message_zh if str(locale).lower().startswith("zh") else self.message_en


class TemplateSecurityError(TemplateError):
    """The template tried something the sandbox forbids (Python internals, files, network)."""


class UndefinedPlaceholderError(TemplateError):
    """The template uses a placeholder that the context does not define."""

    def __init__(self, placeholder: str, *, lineno: int | None = None):
        self.placeholder = placeholder
        where_zh = f"（第 {lineno} 行）" if lineno else ""
        where_en = f" (line {lineno})" if lineno else ""
        super().__init__(
            f"模板占位符 “{placeholder}” 未定义{where_zh}",
            f"Template placeholder '{placeholder}' is undefined{where_en}",
            lineno=lineno)


class AssetNotFoundError(TemplateError):
    """The template references a letter asset that does not exist."""

    def __init__(self, url: str, name: str):
        self.url = url
        super().__init__(f"通知书静态资源不存在：{name}", f"Letter asset not found: {name}")


class AssetRefusedError(TemplateSecurityError):
    """The template references a resource outside the letter assets (file, network...)."""

    def __init__(self, url: str, reason_en: str = "", reason_zh: str = ""):
        self.url = url
        shown = url if len(url) <= 120 else url[:117] + "..."
        super().__init__(
            f"模板引用了不允许的资源：{shown}（只能使用通知书静态资源和 data: URL）{reason_zh}",
            f"Template references a forbidden resource: {shown} (only letter static assets and "
            f"data: URLs are allowed){reason_en}")


# -- Template sandbox ----------------------------------------------------------------------------


class _RefusingLoader(jinja2.BaseLoader):
    def get_source(self, environment, template):
        raise TemplateSecurityError(
            f"模板不能引用其他模板或文件：{template}",
            f"Templates cannot load other templates or files: {template}")


class _LetterSandbox(SandboxedEnvironment):
    """Jinja2 sandbox, also bounding ``*`` and ``**`` (``'x' * 10**9`` would exhaust memory)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            if isinstance(right, (int, float)) and abs(right) > 64:
                raise _PowerTooLarge("exponent too large")
        elif operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(times, int):
                    if len(sequence) * times > MAX_HTML_CHARS:
                        raise _RepetitionTooLarge("repetition too large")
        return super().call_binop(context, operator, left, right)


def _make_environment() -> _LetterSandbox:
    env = _LetterSandbox(
        autoescape=True, undefined=jinja2.StrictUndefined, loader=_RefusingLoader(),
        auto_reload=False, cache_size=0)
    for name, function in (("chinese_date", chinese_date), ("serial_number", serial_number)):
        env.globals[name] = function
        env.filters[name] = function
    return env


def _security_error(what_zh: str, what_en: str, lineno: int | None) -> TemplateSecurityError:
    where_zh = f"（第 {lineno} 行）" if lineno else ""
    where_en = f" (line {lineno})" if lineno else ""
    return TemplateSecurityError(f"模板不允许{what_zh}{where_zh}", f"Templates may not {what_en}{where_en}",
                                 lineno=lineno)


class _RepetitionTooLarge(SecurityError):
    pass


class _PowerTooLarge(SecurityError):
    pass


def _sandbox_refusal(exception: SecurityError) -> TemplateSecurityError:
    lineno = _template_lineno(exception)
    if isinstance(exception, _RepetitionTooLarge):
        return _security_error("生成过长的重复字符串或列表", "repeat a string or list that many times",
                               lineno)
    if isinstance(exception, _PowerTooLarge):
        return _security_error("计算过大的乘方", "raise numbers to such large powers", lineno)
    if match := re.search(r"attribute '(.+?)'", str(exception)):
        name = match[1]
        return _security_error(f"访问内部属性 “{name}”", f"access internal attribute '{name}'", lineno)
    return _security_error(f"执行此操作（{exception}）", f"do this ({exception})", lineno)


def _check_ast(ast: nodes.Template) -> None:
    """Refuse, before rendering, what the sandbox would refuse only when reached."""
    for node in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        raise _security_error("引用其他模板或文件（include/import/extends）",
                              "include, import or extend other templates or files", node.lineno)
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem):
            arg = node.arg
            name = arg.value if isinstance(arg, nodes.Const) and isinstance(arg.value, str) else ""
        else:
            name = node.name
        if name.startswith("_"):
            raise _security_error(f"访问内部属性 “{name}”", f"access internal attribute '{name}'",
                                  node.lineno)


def _template_lineno(exception: BaseException) -> int | None:
    lineno = None
    tb = exception.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


_UNDEFINED_RE = (re.compile(r"^'(?P<name>.+?)' is undefined"),
                 re.compile(r"has no attribute '(?P<name>.+?)'"))


def _undefined_name(exception: jinja2.UndefinedError) -> str:
    text = str(exception.message or exception)
    for pattern in _UNDEFINED_RE:
        if match := pattern.search(text):
            return match["name"]
    return text


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


# -- URL fetcher ---------------------------------------------------------------------------------


def _make_fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticAssetFetcher(URLFetcher):
        """Serve the files under ``root`` and ``data:`` URLs; refuse everything else, unread."""

        def __init__(self, root: Path):
            # fail_on_errors: a refused URL stops the render (FatalURLFetchingError), which
            # render() turns back into the AssetRefusedError raised here.
            super().__init__(allowed_protocols=("file", "data"), fail_on_errors=True)
            self.root = Path(root).resolve()
            self.refused: list[str] = []
            self._files: dict[Path, bytes] = {}

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return self._data(url)
            if scheme == "file":
                parts = urlsplit(url)
                if parts.netloc in ("", "localhost"):
                    path = Path(url2pathname(parts.path)).resolve()
                    if path.is_relative_to(self.root):
                        body = self._files.get(path)
                        if body is None:
                            if not path.is_file():
                                self.refused.append(url)
                                raise AssetNotFoundError(url, path.relative_to(self.root).as_posix())
                            body = self._files[path] = path.read_bytes()
                        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                        return URLFetcherResponse(url, body, {"Content-Type": mime})
            self.refused.append(url)
            raise AssetRefusedError(url)

        def _data(self, url):
            header, comma, payload = url[5:].partition(",")
            if not comma:
                raise AssetRefusedError(url, " (malformed data: URL)", "（data: URL 格式错误）")
            raw = unquote_to_bytes(payload)
            if header.lower().endswith(";base64"):
                header = header[:-7]
                raw = base64.b64decode(raw)
            if len(raw) > MAX_DATA_URL_BYTES:
                raise AssetRefusedError(url, " (data: URL too large)", "（data: URL 过大）")
            mime = header.split(";", 1)[0].strip() or "text/plain"
            return URLFetcherResponse(url, raw, {"Content-Type": mime})

    return StaticAssetFetcher


# -- PDF objects ---------------------------------------------------------------------------------


def _make_finisher(compress_once: bool, level: int):
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
                cached = self.__dict__["_once_data"] = b"\n".join(
                    (extra.data, b"stream", stream, b"endstream"))
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


def _font_configuration(manifest: dict | None, fonts_dir: Path | None):
    """A WeasyPrint FontConfiguration that also knows the prepared letter fonts.

    The prepared files are added to this configuration's fontconfig set (the system fonts stay
    available for anything else). A fontconfig "scan" rule gives each file extra family names:
    the rare-character chunks ("Letter Serif X07") also answer to "Letter Serif", and every face
    to the aliases of FONT_ALIASES, so that Pango falls back from the core face to the chunk
    holding 䶮 or 𠮷. Chunks keep their own first family name: WeasyPrint tells the fonts of a PDF
    apart by their Pango description, and would otherwise merge them.

    Without prepared fonts (``manifest`` None) the system Noto CJK faces are registered under the
    same names: same output, but slow.
    """
    from weasyprint.text.ffi import ffi, fontconfig, pangoft2
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    entries = []  # (path, extra families, test family or None)
    if manifest is not None:
        for entry in manifest["files"]:
            base = entry.get("base_family", entry["family"])
            extra = ([base] if entry["family"] != base else []) + list(FONT_ALIASES.get(base, ()))
            entries.append((str(Path(fonts_dir) / entry["file"]), extra, None))
    else:
        for family, system_family in _SYSTEM_FAMILIES.items():
            for style in ("Regular", "Bold"):
                try:
                    path, _index = letter_fonts.find_source(system_family, style)
                except FileNotFoundError:
                    continue
                entries.append((path, [family, *FONT_ALIASES[family]], system_family))
    rules = []
    for path, extra, test_family in entries:
        test = f'<test name="file" compare="eq"><string>{xml_escape(path)}</string></test>'
        if test_family:
            test += f'<test name="family" compare="eq"><string>{xml_escape(test_family)}</string></test>'
        families = "".join(f"<string>{xml_escape(name)}</string>" for name in extra)
        rules.append(f'<match target="scan">{test}<edit name="family" mode="append">'
                     f"{families}</edit></match>")
    xml = ('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">'
           f'<fontconfig>{"".join(rules)}</fontconfig>').encode()
    config = font_config._config
    if not fontconfig.FcConfigParseAndLoadFromMemory(config, xml, True):
        raise RuntimeError("fontconfig refused the letter font rules")
    for path in dict.fromkeys(path for path, _extra, _test in entries):
        if not fontconfig.FcConfigAppFontAddFile(config, path.encode()):
            raise RuntimeError(f"fontconfig cannot load {path}")
    pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", font_config.font_map))
    return font_config


#: The PreparedFontSubsets in use by the PDF being written in this thread (None: WeasyPrint's own
#: subsetting). Set by LetterRenderer.html_to_pdf only, so other PDFs of the process are untouched.
_ACTIVE_SUBSETS: contextvars.ContextVar = contextvars.ContextVar("letter_font_subsets",
                                                                 default=None)
_subsets = None
_subsets_lock = threading.Lock()


def _prepared_subsets():
    """The process-wide :class:`~portal.pdf.fonts.PreparedFontSubsets` (None without
    libharfbuzz-subset), with WeasyPrint's subsetting hooked to use it."""
    global _subsets
    with _subsets_lock:
        if _subsets is None:
            try:
                _install_subset_hook()
                _subsets = letter_fonts.PreparedFontSubsets()
            except (OSError, ImportError, AttributeError) as exception:
                LOGGER.warning("Fast font subsetting unavailable (%s)", exception)
                _subsets = False
        return _subsets or None


def _install_subset_hook() -> None:
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
        subsets = _ACTIVE_SUBSETS.get()
        if subsets is not None and to_unicode:
            try:
                data = None
                if not font.index and not font.variations:
                    data = subsets.subset(font.file_content, to_unicode, hinting=hinting,
                                          notdef_outline=bool(font.missing))
            except AttributeError:  # another WeasyPrint version
                data = None
            if data:
                font.file_content = data
                return None
        return original(font, to_unicode, hinting)

    subset._letter_fast_subset = True
    subset.__wrapped__ = original
    font_class.subset = subset


# -- Renderer ------------------------------------------------------------------------------------


class _LRU(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get_or_make(self, key, make):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = make()
        if len(self) > self.size:
            self.popitem(last=False)
        return value


_STYLE_RE = re.compile(r"<style\b(?P<attrs>[^>]*)>(?P<css>.*?)</style\s*>", re.I | re.S)


class LetterRenderer:
    """Renders letters; keep one per process (see :func:`render_letter_pdf`). Thread-safe.

    The keyword switches exist to measure each optimisation (``bench/letters.py --ablation``);
    leave them at their defaults.
    """

    def __init__(self, static_root: Path | str | None = None, fonts_dir: Path | str | None = None,
                 *, prepared_fonts: bool = True, auto_prepare: bool = True,
                 reuse_font_config: bool = True, cache_stylesheets: bool = True,
                 compress_once: bool = True, compress_level: int = 1, image_cache: bool = True,
                 fast_subset: bool = True, qr_format: str = "png"):
        if qr_format not in ("png", "svg"):
            raise ValueError(f"qr_format must be 'png' or 'svg', not {qr_format!r}")
        self.static_root = Path(static_root or STATIC_ROOT).resolve()
        self.fonts_dir = Path(fonts_dir) if fonts_dir else letter_fonts.default_fonts_dir()
        self.prepared_fonts = prepared_fonts
        self.auto_prepare = auto_prepare
        self.reuse_font_config = reuse_font_config
        self.cache_stylesheets = cache_stylesheets
        self.compress_once = compress_once
        self.compress_level = compress_level
        self.image_cache = image_cache
        self.fast_subset = fast_subset
        self.qr_format = qr_format
        self.base_url = self.static_root.as_uri() + "/"
        self.env = _make_environment()
        self._lock = threading.RLock()
        self._templates = _LRU(32)
        self._stylesheets = _LRU(32)
        self._images: dict = {}
        self._font_config = None
        self._base_sheets = None
        self._manifest = None
        self._fonts_checked = False
        self._finisher = _make_finisher(compress_once, compress_level)
        self._fetcher = None
        self._subsets = None

    # Templates

    def check_template(self, template_source: str) -> None:
        """Raise TemplateError if the template does not parse or breaks the sandbox rules."""
        self._compile(template_source)

    def _compile(self, template_source: str):
        key = hashlib.sha256(template_source.encode("utf-8", "surrogatepass")).digest()

        def make():
            try:
                ast = self.env.parse(template_source)
            except jinja2.TemplateSyntaxError as exception:
                raise TemplateError(
                    f"模板语法错误（第 {exception.lineno} 行）：{exception.message}",
                    f"Template syntax error (line {exception.lineno}): {exception.message}",
                    lineno=exception.lineno) from None
            _check_ast(ast)
            return self.env.from_string(ast)

        return self._templates.get_or_make(key, make)

    def render_html(self, template_source: str, context: dict) -> str:
        """The template rendered to HTML (for a live preview, or before :meth:`html_to_pdf`)."""
        template = self._compile(template_source)
        values = dict(context)
        if "verification_url" in values and "qr_data_uri" not in values:
            make_qr = qr_png_data_uri if self.qr_format == "png" else qr_svg_data_uri
            values["qr_data_uri"] = make_qr(str(values["verification_url"]))
        values.setdefault("seal_url", "seal.svg")
        try:
            parts, size = [], 0
            for part in template.generate(values):
                size += len(part)
                if size > MAX_HTML_CHARS:
                    raise TemplateError("模板输出过大", "Template output is too large")
                parts.append(part)
            return "".join(parts)
        except SecurityError as exception:
            raise _sandbox_refusal(exception) from None
        except jinja2.UndefinedError as exception:
            raise UndefinedPlaceholderError(
                _undefined_name(exception), lineno=_template_lineno(exception)) from None
        except TemplateError:
            raise
        except jinja2.TemplateError as exception:
            lineno = _template_lineno(exception)
            raise TemplateError(f"模板错误：{exception}", f"Template error: {exception}",
                                lineno=lineno) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exception:
            lineno = _template_lineno(exception)
            where_zh = f"（第 {lineno} 行）" if lineno else ""
            where_en = f" (line {lineno})" if lineno else ""
            raise TemplateError(f"模板计算出错{where_zh}：{exception}",
                                f"Template evaluation failed{where_en}: {exception}",
                                lineno=lineno) from None

    # PDF

    def render(self, template_source: str, context: dict) -> bytes:
        """The letter as PDF/A-3b bytes."""
        return self.html_to_pdf(self.render_html(template_source, context))

    def warm_up(self) -> None:
        """Do the once-per-process work now (fonts prepared if missing and loaded, caches filled:
        ~0.3 s) rather than in the first letter. For job workers, when they start."""
        self.render(default_approval_template(), sample_context())

    def _fonts(self):
        """(font_config, [base CSS], [forced CSS]), built once (or per call if not reused)."""
        from weasyprint import CSS

        if self._font_config is not None and self.reuse_font_config:
            return self._font_config, self._base_sheets
        if not self._fonts_checked:
            self._fonts_checked = True
            if self.prepared_fonts:
                self._manifest = letter_fonts.load_manifest(self.fonts_dir)
                if self._manifest is None and self.auto_prepare:
                    try:
                        self._manifest = letter_fonts.prepare_fonts(self.fonts_dir)
                    except Exception as exception:  # no hb-subset, read-only disk...
                        LOGGER.warning("Cannot prepare letter fonts in %s: %s",
                                       self.fonts_dir, exception)
                if self._manifest is None:
                    LOGGER.warning(
                        "Letter fonts are not prepared in %s: letters render slowly with the "
                        "system fonts. Run: python -m portal.pdf.fonts", self.fonts_dir)
                elif self.fast_subset:
                    self._subsets = _prepared_subsets()
                    if self._subsets is not None:
                        self._subsets.register_manifest(self.fonts_dir, self._manifest)
        font_config = _font_configuration(self._manifest, self.fonts_dir)
        base = CSS(string=_BASE_CSS, font_config=font_config)
        forced = CSS(string=_FORCED_CSS, font_config=font_config)
        self._font_config, self._base_sheets = font_config, (base, forced)
        return font_config, self._base_sheets

    def _template_sheets(self, html: str, font_config, fetcher) -> tuple[str, list]:
        """Move the template's <style> blocks out of the HTML, parsed once per distinct CSS.

        They are passed to WeasyPrint as user stylesheets, in order, after the base stylesheet.
        """
        from weasyprint import CSS

        sheets = []

        def take(match):
            attrs = match["attrs"]
            media = re.search(r"""media\s*=\s*["']?([^"'>]*)""", attrs, re.I)
            if media and media[1].strip().lower() not in ("", "all", "print"):
                return match[0]
            if re.search(r"""type\s*=""", attrs, re.I) and "text/css" not in attrs.lower():
                return match[0]
            css = match["css"]
            key = hashlib.sha256(css.encode("utf-8", "surrogatepass")).digest()
            sheets.append(self._stylesheets.get_or_make(key, lambda: CSS(
                string=css, base_url=self.base_url, url_fetcher=fetcher,
                font_config=font_config)))
            return ""

        return _STYLE_RE.sub(take, html), sheets

    def html_to_pdf(self, html: str) -> bytes:
        from weasyprint import HTML
        from weasyprint.urls import FatalURLFetchingError

        with self._lock:
            if self._fetcher is None:
                self._fetcher = _make_fetcher_class()(self.static_root)
            fetcher = self._fetcher
            fetcher.refused.clear()
            try:
                font_config, (base, forced) = self._fonts()
                sheets = []
                if self.cache_stylesheets:
                    html, sheets = self._template_sheets(html, font_config, fetcher)
                if len(self._images) > 64:  # data: URLs (QR codes) are cached too: bound it
                    self._images.clear()
                options = {
                    "stylesheets": [base, *sheets, forced],
                    "font_config": font_config,
                    "pdf_variant": "pdf/a-3b",
                    "cache": self._images if self.image_cache else None,
                    "finisher": self._finisher,
                }
                document = HTML(string=html, base_url=self.base_url, url_fetcher=fetcher)
                token = _ACTIVE_SUBSETS.set(self._subsets)
                try:
                    pdf = document.write_pdf(**options)
                finally:
                    _ACTIVE_SUBSETS.reset(token)
                if fetcher.refused:  # refused where WeasyPrint carries on (e.g. SVG <image>)
                    raise AssetRefusedError(fetcher.refused[0])
                return pdf
            except FatalURLFetchingError as exception:
                cause = exception.__cause__
                if isinstance(cause, TemplateError):
                    raise cause from None
                raise AssetRefusedError(str(exception)) from None
            finally:
                if not self.reuse_font_config:
                    self._font_config = None


_renderers: dict[tuple, LetterRenderer] = {}
_renderers_lock = threading.Lock()


def get_renderer(static_root: Path | str | None = None,
                 fonts_dir: Path | str | None = None) -> LetterRenderer:
    """The process-wide renderer for these directories (created on first use)."""
    key = (str(static_root or STATIC_ROOT), str(fonts_dir or letter_fonts.default_fonts_dir()))
    with _renderers_lock:
        renderer = _renderers.get(key)
        if renderer is None:
            renderer = _renderers[key] = LetterRenderer(static_root, fonts_dir)
        return renderer


def render_letter_pdf(template_source: str, context: dict, *,
                      static_root: Path | str | None = None,
                      fonts_dir: Path | str | None = None) -> bytes:
    """Render a letter template with ``context`` to PDF/A-3b (A4) bytes.

    ``static_root``: the only directory assets may come from (default ``portal/static/letters``),
    also the base URL of relative references. ``fonts_dir``: prepared fonts (default
    ``instance/letter-fonts``; prepared on first use if missing).

    Raises :class:`TemplateError` (syntax, evaluation), :class:`UndefinedPlaceholderError`,
    :class:`TemplateSecurityError` and :class:`AssetRefusedError`.
    """
    return get_renderer(static_root, fonts_dir).render(template_source, context)


def check_template(template_source: str) -> None:
    """Raise TemplateError if a template does not parse or breaks the sandbox rules (for the
    template editor, before saving)."""
    get_renderer().check_template(template_source)


#: The default approval letter (入选通知书) template, also used by the benchmark and the tests.
DEFAULT_APPROVAL_TEMPLATE_PATH = STATIC_ROOT / "approval.html"


def default_approval_template() -> str:
    return DEFAULT_APPROVAL_TEMPLATE_PATH.read_text(encoding="utf-8")


def sample_context(**overrides) -> dict:
    """Sample values for every placeholder of the default template: for the live preview of the
    template editor (SPEC §6.4) and to warm a renderer up."""
    import datetime

    values = {
        "issuer_name": "人才计划办公室", "serial_year": 2026, "serial_no": 12,
        "program_name": "青年拔尖人才支持计划", "program_year": 2026, "recipient_name": "张䶮",
        "unit_name": "华东理工大学", "project_title": "面向碳中和的新型催化材料设计与机理研究",
        "terms": ["入选者应在收到通知后三十日内签订任务书，明确聘期目标、年度计划和考核指标。",
                  "专项经费须按照国家有关规定管理使用，专款专用，不得挪作他用。"],
        "issue_date": datetime.date(2026, 11, 21), "verification_code": "7Q4K-M2XD-9PLC",
        "verification_url": "https://talent.example.cn/verify/7Q4K-M2XD-9PLC",
    }
    values.update(overrides)
    return values
