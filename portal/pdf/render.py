"""HTML to PDF/A-3b (A4) with the prepared CJK fonts, without Flask: the engine of letters and application books.

    pdf = get_renderer().html_to_pdf(html)        # bytes

Assets: the PDF is made by WeasyPrint with a URL fetcher that serves only files under
``portal/static/letters/`` (relative URLs such as ``seal.svg`` resolve there) and ``data:`` URLs;
any other URL (``file:`` elsewhere, ``http(s):``, ...) is refused without being read, and the
render fails with :class:`AssetRefusedError`. Nothing is fetched from the network. User-editable
templates are rendered to HTML first, in the sandbox of :mod:`portal.pdf.sandbox`.

Speed (SPEC §9: <= 50 ms median per one-page letter, see ``bench/letters.py`` and
docs/benchmarks.md): a renderer keeps, per process, one FontConfiguration holding the prepared
fonts of :mod:`portal.pdf.fonts` (small single-face cuts of Noto CJK, plus small chunks for
rare characters; prepared on first use if missing), the parsed built-in stylesheets, parsed
template stylesheets and the parsed images (the seal). When a PDF is written, the prepared fonts
are subset from faces preprocessed once per process, and each PDF stream is compressed once, at
level 1 (WeasyPrint 70 / pydyf compress every stream twice at level 9 when a PDF identifier is
written, which PDF/A requires): both through WeasyPrint internals, kept in
:mod:`portal.pdf.weasy_patches`. Job workers should keep one renderer (:func:`get_renderer`) and
warm it up when they start.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import re
import threading
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from . import fonts as letter_fonts
from . import weasy_patches
from .sandbox import LRU, TemplateError, TemplateSecurityError

LOGGER = logging.getLogger(__name__)

#: The only directory the renderer reads assets from.
STATIC_ROOT = Path(__file__).resolve().parent.parent / "static" / "letters"
#: Largest data: URL accepted.
MAX_DATA_URL_BYTES = 2_000_000
#: Fonts families a template can name and that the prepared fonts answer to (besides
#: "Letter Serif"/"Letter Sans"). Other families (e.g. the system's "Noto Serif CJK SC") still
#: work, but render at the slow speed of the full system fonts.
FONT_ALIASES = {
    "Letter Serif": (
        "宋体",
        "SimSun",
        "新宋体",
        "NSimSun",
        "华文宋体",
        "STSong",
        "Songti SC",
        "思源宋体",
        "Source Han Serif SC",
        "Source Han Serif CN",
        "仿宋",
        "FangSong",
        "仿宋_GB2312",
        "FangSong_GB2312",
        "楷体",
        "KaiTi",
        "楷体_GB2312",
        "KaiTi_GB2312",
    ),
    "Letter Sans": (
        "黑体",
        "SimHei",
        "微软雅黑",
        "Microsoft YaHei",
        "华文黑体",
        "STHeiti",
        "Heiti SC",
        "苹方",
        "PingFang SC",
        "思源黑体",
        "Source Han Sans SC",
        "Source Han Sans CN",
    ),
}
_SYSTEM_FAMILIES = {"Letter Serif": "Noto Serif CJK SC", "Letter Sans": "Noto Sans CJK SC"}

# Applied under the template's own CSS (user origin): default font.
_BASE_CSS = 'html { font-family: "Letter Serif"; }'
# Applied over it: letters are A4, whatever the template says.
_FORCED_CSS = "@page { size: A4 !important; }"


# -- Errors --------------------------------------------------------------------------------------


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
            f"data: URLs are allowed){reason_en}",
        )


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
    return weasy_patches.font_configuration(entries)


_subsets = None
_subsets_lock = threading.Lock()


def _prepared_subsets():
    """The process-wide :class:`~portal.pdf.fonts.PreparedFontSubsets` (None without
    libharfbuzz-subset), with WeasyPrint's subsetting hooked to use it."""
    global _subsets
    with _subsets_lock:
        if _subsets is None:
            try:
                weasy_patches.install_subset_hook()
                _subsets = letter_fonts.PreparedFontSubsets()
            except (OSError, ImportError, AttributeError) as exception:
                LOGGER.warning("Fast font subsetting unavailable (%s)", exception)
                _subsets = False
        return _subsets or None


# -- Renderer ------------------------------------------------------------------------------------


_STYLE_RE = re.compile(r"<style\b(?P<attrs>[^>]*)>(?P<css>.*?)</style\s*>", re.I | re.S)


class PdfRenderer:
    """Turns HTML into PDF/A-3b; keep one per process (:func:`get_renderer`). Thread-safe.

    The keyword switches exist to measure each optimisation (``bench/letters.py --ablation``);
    leave them at their defaults.
    """

    def __init__(
        self,
        static_root: Path | str | None = None,
        fonts_dir: Path | str | None = None,
        *,
        prepared_fonts: bool = True,
        auto_prepare: bool = True,
        reuse_font_config: bool = True,
        cache_stylesheets: bool = True,
        compress_once: bool = True,
        compress_level: int = 1,
        image_cache: bool = True,
        fast_subset: bool = True,
    ):
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
        self.base_url = self.static_root.as_uri() + "/"
        self._lock = threading.RLock()
        self._stylesheets = LRU(32)
        self._images: dict = {}
        self._font_config = None
        self._base_sheets = None
        self._manifest = None
        self._fonts_checked = False
        self._finisher = weasy_patches.make_finisher(compress_once, compress_level)
        self._fetcher = None
        self._subsets = None

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
                    except Exception as exception:  # noqa: BLE001 - no hb-subset, read-only disk...
                        LOGGER.warning("Cannot prepare letter fonts in %s: %s", self.fonts_dir, exception)
                if self._manifest is None:
                    LOGGER.warning(
                        "Letter fonts are not prepared in %s: letters render slowly with the "
                        "system fonts. Run: python -m portal.pdf.fonts",
                        self.fonts_dir,
                    )
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
            sheets.append(
                self._stylesheets.get_or_make(
                    key, lambda: CSS(string=css, base_url=self.base_url, url_fetcher=fetcher, font_config=font_config)
                )
            )
            return ""

        return _STYLE_RE.sub(take, html), sheets

    def html_to_pdf(self, html: str) -> bytes:
        """``html`` as PDF/A-3b bytes (A4); raises AssetRefusedError / AssetNotFoundError for a refused asset."""
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
                token = weasy_patches.ACTIVE_SUBSETS.set(self._subsets)
                try:
                    pdf = document.write_pdf(**options)
                finally:
                    weasy_patches.ACTIVE_SUBSETS.reset(token)
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


_renderers: dict[tuple, PdfRenderer] = {}
_renderers_lock = threading.Lock()


def get_renderer(static_root: Path | str | None = None, fonts_dir: Path | str | None = None) -> PdfRenderer:
    """The process-wide renderer for these directories (created on first use), shared by letters and books."""
    key = (str(static_root or STATIC_ROOT), str(fonts_dir or letter_fonts.default_fonts_dir()))
    with _renderers_lock:
        renderer = _renderers.get(key)
        if renderer is None:
            renderer = _renderers[key] = PdfRenderer(static_root, fonts_dir)
        return renderer
