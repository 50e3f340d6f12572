"""Letter PDFs: Chinese formatting, the template sandbox, the asset fetcher and the PDF itself."""

from __future__ import annotations

import datetime
import io
import re
import socket
from pathlib import Path

import pytest

from portal.chinese import chinese_date, chinese_number, serial_number
from portal.letters.rendering import QR_MASK, LetterRenderer, check_template, default_approval_template
from portal.letters.seal import make_seal_svg
from portal.pdf import fonts as letter_fonts
from portal.pdf.render import STATIC_ROOT, AssetNotFoundError, AssetRefusedError
from portal.pdf.sandbox import TemplateError, TemplateSecurityError, UndefinedPlaceholderError

pypdf = pytest.importorskip("pypdf")

# -- chinese.py ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (datetime.date(2026, 11, 21), "二〇二六年十一月二十一日"),
        (datetime.date(2026, 1, 1), "二〇二六年一月一日"),
        (datetime.date(2026, 1, 10), "二〇二六年一月十日"),
        (datetime.date(2026, 2, 20), "二〇二六年二月二十日"),
        (datetime.date(2026, 4, 30), "二〇二六年四月三十日"),
        (datetime.date(2026, 12, 31), "二〇二六年十二月三十一日"),
        (datetime.date(2026, 10, 11), "二〇二六年十月十一日"),
        (datetime.date(2025, 12, 15), "二〇二五年十二月十五日"),
        (datetime.date(2000, 10, 9), "二〇〇〇年十月九日"),
        (datetime.date(2019, 3, 29), "二〇一九年三月二十九日"),
    ],
)
def test_chinese_date(date, expected):
    assert chinese_date(date) == expected


def test_chinese_date_accepts_datetimes_and_iso_strings():
    assert chinese_date(datetime.datetime(2026, 11, 21, 23, 59)) == "二〇二六年十一月二十一日"
    assert chinese_date("2026-10-20") == "二〇二六年十月二十日"
    with pytest.raises(TypeError):
        chinese_date(20261121)


def test_chinese_numbers_one_to_thirty_one():
    expected = [
        "一",
        "二",
        "三",
        "四",
        "五",
        "六",
        "七",
        "八",
        "九",
        "十",
        "十一",
        "十二",
        "十三",
        "十四",
        "十五",
        "十六",
        "十七",
        "十八",
        "十九",
        "二十",
        "二十一",
        "二十二",
        "二十三",
        "二十四",
        "二十五",
        "二十六",
        "二十七",
        "二十八",
        "二十九",
        "三十",
        "三十一",
    ]
    assert [chinese_number(n) for n in range(1, 32)] == expected
    with pytest.raises(ValueError):
        chinese_number(0)


@pytest.mark.parametrize(
    ("year", "n", "expected"),
    [
        (2026, 12, "〔2026〕第0012号"),
        (2026, 1, "〔2026〕第0001号"),
        (2027, 9999, "〔2027〕第9999号"),
        (2026, 12345, "〔2026〕第12345号"),
        ("2026", "7", "〔2026〕第0007号"),
    ],
)
def test_serial_number(year, n, expected):
    assert serial_number(year, n) == expected


def test_serial_number_refuses_nonsense():
    with pytest.raises(ValueError):
        serial_number(2026, 0)


# -- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def renderer(tmp_path_factory):
    """One renderer for the module, with the prepared fonts of ``make`` if there are some (the
    test suite points PORTAL_INSTANCE_DIR at a temporary folder), else fonts prepared into a
    temporary folder (~3 s)."""
    repository_fonts = Path(letter_fonts.__file__).resolve().parents[2] / "instance" / "letter-fonts"
    for fonts_dir in (letter_fonts.default_fonts_dir(), repository_fonts):
        if letter_fonts.load_manifest(fonts_dir):
            break
    else:
        fonts_dir = tmp_path_factory.mktemp("letters") / "letter-fonts"
        letter_fonts.prepare_fonts(fonts_dir)
    return LetterRenderer(fonts_dir=fonts_dir)


def context(**overrides):
    values = dict(
        issuer_name="人才计划办公室",
        serial_year=2026,
        serial_no=12,
        program_name="青年拔尖人才支持计划",
        program_year=2026,
        recipient_name="王䶮",
        unit_name="华东理工大学",
        project_title="面向碳中和的新型催化材料设计与机理研究",
        terms=[
            "入选者应在规定期限内签订任务书，明确聘期目标和考核指标。",
            "专项经费须按照国家有关规定管理使用，专款专用。",
        ],
        issue_date=datetime.date(2026, 11, 21),
        verification_code="7Q4K-M2XD-9PLC",
        verification_url="https://talent.example.cn/verify/7Q4K-M2XD-9PLC",
    )
    values.update(overrides)
    return values


@pytest.fixture(scope="module")
def letters(renderer):
    """Two letters whose names need the rare-character fonts (Ext. A, Ext. B, GBK)."""
    template = default_approval_template()
    return {name: renderer.render(template, context(recipient_name=name)) for name in ("王䶮", "𠮷堃")}


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def font_dicts(pdf: bytes):
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            yield font.get_object()


# -- The PDF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["王䶮", "𠮷堃"])
def test_letter_text_has_name_serial_and_code(letters, name):
    text = pdf_text(letters[name])
    assert f"{name}同志" in text
    assert "〔2026〕第0012号" in text
    assert "7Q4K-M2XD-9PLC" in text
    assert "二〇二六年十一月二十一日" in text


def test_letter_is_one_a4_page_under_250_kb(letters):
    for pdf in letters.values():
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        assert abs(float(box.width) - 595.28) < 1 and abs(float(box.height) - 841.89) < 1
        assert len(pdf) <= 250_000


def test_every_font_is_embedded(letters):
    for pdf in letters.values():
        fonts = list(font_dicts(pdf))
        assert fonts
        for font in fonts:
            descendants = font.get("/DescendantFonts")
            holder = descendants[0].get_object() if descendants else font
            descriptor = holder["/FontDescriptor"].get_object()
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]


def _to_unicode(font) -> dict[int, str]:
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    mapping = {}
    for glyph, text in re.findall(r"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>", data):
        mapping[int(glyph, 16)] = bytes.fromhex(text).decode("utf-16-be")
    return mapping


def _glyph_bounds(font_bytes: bytes, glyph_id: int):
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(font_bytes))
    glyph_set = font.getGlyphSet()
    pen = BoundsPen(glyph_set)
    glyph_set[font.getGlyphName(glyph_id)].draw(pen)
    return pen.bounds


@pytest.mark.parametrize("char", ["䶮", "𠮷", "堃"])
def test_rare_characters_have_their_real_glyph(letters, char):
    """Not .notdef (tofu): the glyph embedded for the character is Noto CJK SC's own outline."""
    pdf = letters["王䶮" if char == "䶮" else "𠮷堃"]
    for font in font_dicts(pdf):
        mapping = _to_unicode(font)
        glyphs = [glyph for glyph, text in mapping.items() if text == char]
        if not glyphs:
            continue
        assert font["/Encoding"] == "/Identity-H"  # WeasyPrint uses another CMap for missing glyphs
        glyph_id = glyphs[0]
        assert glyph_id != 0
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        program = descriptor["/FontFile3"].get_object().get_data()
        bounds = _glyph_bounds(program, glyph_id)
        assert bounds is not None  # an outline, not an empty glyph
        try:
            path, index = letter_fonts.find_source("Noto Serif CJK SC", "Regular")
        except FileNotFoundError:
            return
        from fontTools.pens.boundsPen import BoundsPen
        from fontTools.ttLib import TTFont

        with TTFont(path, fontNumber=index, lazy=True) as reference:
            reference_glyph = reference.getGlyphID(reference.getBestCmap()[ord(char)])
            pen = BoundsPen(reference.getGlyphSet())
            reference.getGlyphSet()[reference.getGlyphName(reference_glyph)].draw(pen)
        assert bounds == pytest.approx(pen.bounds, abs=1)
        return
    pytest.fail(f"{char} not found in any font's ToUnicode map")


def test_pdfa_3b_identification(letters):
    pdf = letters["王䶮"]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(>|=\")3", metadata)
    assert re.search(r"pdfaid:conformance(>|=\")B", metadata)
    assert "/OutputIntents" in reader.trailer["/Root"]
    assert pdf.startswith(b"%PDF-1.7")


def test_images_are_not_interpolated_and_the_qr_code_is_exact(letters):
    """PDF/A forbids /Interpolate true; the QR code is a PNG of one pixel per module whose pixels
    are exactly segno's modules for the verification URL."""
    import segno

    reader = pypdf.PdfReader(io.BytesIO(letters["王䶮"]))
    images = list(reader.pages[0].images)
    assert images
    for image in images:
        assert image.indirect_reference.get_object().get("/Interpolate") in (None, False)
    url = context()["verification_url"]
    expected = [
        [bool(module) for module in row]
        for row in segno.make(url, error="m", micro=False, mask=QR_MASK).matrix_iter(border=4)
    ]
    qr = [image for image in images if image.image.size == (len(expected[0]), len(expected))]
    assert len(qr) == 1
    pixels = qr[0].image.convert("L")
    got = [[pixels.getpixel((x, y)) < 128 for x in range(pixels.width)] for y in range(pixels.height)]
    assert got == expected


def test_fast_subsetting_gives_weasyprints_font_programs(renderer, letters):
    """The preprocessed-face subsetting embeds the same font programs as WeasyPrint's own."""
    slow = LetterRenderer(fonts_dir=renderer.fonts_dir, fast_subset=False)
    pdf = slow.render(default_approval_template(), context(recipient_name="王䶮"))

    def programs(data):
        found = {}
        for font in font_dicts(data):
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            found[str(font["/BaseFont"])] = descriptor["/FontFile3"].get_object().get_data()
        return found

    fast, own = programs(letters["王䶮"]), programs(pdf)
    assert len(fast) >= 2 and fast == own


def test_seal_is_text_in_the_letter_font():
    """The seal asset is what make_seal_svg draws: text (cheap to draw), not glyph outlines."""
    seal = (STATIC_ROOT / "seal.svg").read_text(encoding="utf-8")
    assert seal == make_seal_svg()
    assert "<text" in seal and "<path" not in seal and 'font-family="Letter Serif' in seal


def test_rendering_a_letter_is_fast(renderer, letters):
    """A smoke check of the speed (the real benchmark is bench/letters.py): well under 0.5 s."""
    import time

    template = default_approval_template()
    started = time.perf_counter()
    renderer.render(template, context(recipient_name="赵𠮷"))
    assert time.perf_counter() - started < 0.5


# -- Sandbox -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ recipient_name['__class__'] }}",
        "{{ recipient_name|attr('__class__') }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{% include '/etc/passwd' %}",
        "{% import 'macros.html' as m %}",
        "{% extends 'base.html' %}",
        "{{ 'x' * 100000000 }}",
    ],
)
def test_sandbox_refuses_internals_and_files(renderer, source):
    with pytest.raises(TemplateSecurityError) as caught:
        renderer.render_html(source, context())
    assert caught.value.message_zh and caught.value.message_en


def test_sandbox_refusal_is_explained_in_both_languages(renderer):
    with pytest.raises(TemplateSecurityError) as caught:
        renderer.render("<p>\n{{ ''.__class__ }}</p>", context())
    error = caught.value
    assert error.message_en == "Templates may not access internal attribute '__class__' (line 2)"
    assert error.message_zh == "模板不允许访问内部属性 “__class__”（第 2 行）"
    assert error.message("zh-CN") == error.message_zh and error.message("en") == error.message_en
    assert str(error) == f"{error.message_en} / {error.message_zh}"


def test_check_template_refuses_include_without_rendering():
    with pytest.raises(TemplateSecurityError, match="include"):
        check_template("<p>{% if false %}{% include '/etc/passwd' %}{% endif %}</p>")
    check_template(default_approval_template())


@pytest.mark.parametrize(
    ("source", "placeholder"),
    [
        ("<p>{{ recipient_nmae }}</p>", "recipient_nmae"),
        ("<p>\n{{ unit.address }}</p>", "address"),
    ],
)
def test_undefined_placeholder_is_named(renderer, source, placeholder):
    with pytest.raises(UndefinedPlaceholderError) as caught:
        renderer.render_html(source, context(unit={"name": "华东理工大学"}))
    error = caught.value
    assert error.placeholder == placeholder
    assert placeholder in error.message_en and placeholder in error.message_zh
    assert "未定义" in error.message_zh


def test_autoescape_and_syntax_errors(renderer):
    html = renderer.render_html("<p>{{ recipient_name }}</p>", context(recipient_name="<script>x</script>"))
    assert "&lt;script&gt;" in html
    with pytest.raises(TemplateError) as caught:
        renderer.render_html("<p>\n{% if %}</p>", context())
    assert caught.value.lineno == 2


# -- Assets --------------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the renderer tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def reads(monkeypatch):
    """Paths whose bytes were read through pathlib or open() during the test."""
    seen = []
    original_read_bytes, original_open = Path.read_bytes, open

    def read_bytes(self):
        seen.append(str(self))
        return original_read_bytes(self)

    def spy_open(file, *args, **kwargs):
        seen.append(str(file))
        return original_open(file, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr("builtins.open", spy_open)
    return seen


@pytest.mark.parametrize(
    "source",
    [
        '<img src="file:///etc/passwd">',
        '<img src="http://example.com/logo.png">',
        '<link rel="stylesheet" href="https://example.com/letter.css"><p>x</p>',
        "<style>@import url(http://example.com/a.css);</style><p>x</p>",
        "<style>body { background: url(file:///etc/passwd) }</style><p>x</p>",
        '<p style="background: url(//example.com/a.png)">x</p>',
        '<img src="../../config.py">',
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<image href="file:///etc/passwd" width="10" height="10"/></svg>',
    ],
)
def test_fetcher_refuses_files_and_network_without_reading(renderer, source, no_network, reads):
    with pytest.raises(AssetRefusedError) as caught:
        renderer.render(source, context())
    assert caught.value.url.startswith(("file:", "http"))
    assert not [path for path in reads if "passwd" in path or path.endswith("config.py")]


def test_fetcher_serves_letter_assets_and_data_urls(renderer, no_network):
    pdf = renderer.render(
        '<img src="seal.svg"><img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/'
        '2000/svg%22 viewBox=%220 0 1 1%22/%3E"><p>{{ recipient_name }}</p>',
        context(),
    )
    assert "王䶮" in pdf_text(pdf)
    with pytest.raises(AssetNotFoundError):
        renderer.render('<img src="no-such-seal.svg">', context())


# -- Prepared fonts ------------------------------------------------------------------------------


def test_fonts_are_prepared_on_first_use_and_preparing_again_is_a_no_op(tmp_path):
    """Missing fonts are prepared by the first letter; preparing again (what `make` and workers
    do) rebuilds nothing; a damaged set is rebuilt, identical."""
    fonts_dir = tmp_path / "instance" / "letter-fonts"
    assert letter_fonts.load_manifest(fonts_dir) is None
    pdf = LetterRenderer(fonts_dir=fonts_dir).render(default_approval_template(), context())
    assert "王䶮同志" in pdf_text(pdf)
    manifest = letter_fonts.load_manifest(fonts_dir)
    assert manifest is not None and len(manifest["files"]) > 10
    before = {
        path.name: (path.stat().st_ino, path.stat().st_mtime_ns, path.read_bytes()) for path in fonts_dir.iterdir()
    }

    assert letter_fonts.prepare_fonts(fonts_dir) == manifest
    assert letter_fonts.main(["--dir", str(fonts_dir)]) == 0
    assert letter_fonts.main(["--dir", str(fonts_dir), "--check"]) == 0
    after = {
        path.name: (path.stat().st_ino, path.stat().st_mtime_ns, path.read_bytes()) for path in fonts_dir.iterdir()
    }
    assert after == before  # not rewritten
    assert not [
        path
        for path in tmp_path.joinpath("instance").iterdir()
        if path.name not in ("letter-fonts", "letter-fonts.lock")
    ]  # no leftovers

    chunk = fonts_dir / manifest["files"][1]["file"]
    chunk.unlink()
    assert letter_fonts.load_manifest(fonts_dir) is None
    assert letter_fonts.main(["--dir", str(fonts_dir), "--check"]) == 1
    letter_fonts.prepare_fonts(fonts_dir)
    assert chunk.read_bytes() == before[chunk.name][2]  # same bytes: preparation is deterministic
