"""Application book (申报书) PDF: content, A4, embedded fonts, escaping, rare characters, no fetches."""

from __future__ import annotations

import io
import re

import pytest

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("weasyprint")

from portal.applications import book  # noqa: E402

SHA_PLAN = "3f" * 32
SHA_CV = "a1b2c3d4" * 8
SHA_WORK = "0123456789abcdef" * 4
FAIL_REASON_ZH = "截至 2026-12-31 年满 41 周岁，超过 40 周岁的上限"
FAIL_REASON_EN = "Aged 41 at the cutoff date 2026-12-31, above the limit of 40"


def sample_snapshot() -> dict:
    return {
        "version": 1,
        "reference": "2026-bairen-000123",
        "submitted_at": "2026-11-21T05:30:00Z",
        "program": {
            "code": "bairen",
            "name_zh": "百人计划",
            "name_en": "Hundred Talents Program",
            "category": "A",
            "level": "academy",
        },
        "call": {
            "title_zh": "2026 年度百人计划申报",
            "title_en": "Hundred Talents Program 2026",
            "year": 2026,
            "closes_at": "2026-12-01T09:59:00Z",
        },
        "application": {
            "title": "基于拓扑量子比特的容错量子计算研究",
            "discipline": {"code": "A0504", "name_zh": "量子信息", "name_en": "Quantum information"},
            "keywords": ["量子计算", "拓扑序", "纠错码"],
            "plan": (
                "第一段：研究目标。\n第二行保持换行。\n\n第二段：包含 <script>alert(1)</script> 与 & 符号，以及 堃 字。"
            ),
            "extra": [
                {
                    "code": "returns_fulltime",
                    "label_zh": "是否回国全职工作",
                    "label_en": "Returns to work full-time in China",
                    "value": True,
                },
                {
                    "code": "commits_years",
                    "label_zh": "承诺在国内工作的连续年数",
                    "label_en": "Committed consecutive years",
                    "value": 5,
                },
            ],
            "unit": {"name_zh": "物理研究所", "name_en": "Institute of Physics"},
            "exception": {"requested": True, "justification": "在拓扑量子计算方向取得国际领先成果。"},
        },
        "applicant": {
            "name": "王𠮷",
            "email": "wang.ji@example.org",
            "gender": "male",
            "birth_date": "1985-06-01",
            "nationality": "CN",
            "id_type": "id_card",
            "id_number_masked": "1101**********1234",
            "phone": "+86 138 0000 0000",
            "disciplines": [{"code": "A0504", "name_zh": "量子信息", "name_en": "Quantum information"}],
            "keywords": ["拓扑量子计算"],
        },
        "education": [
            {"degree": "bachelor", "institution": "北京大学", "country": "CN", "year": 2007},
            {"degree": "phd", "institution": "Massachusetts Institute of Technology", "country": "US", "year": 2013},
        ],
        "positions": [
            {
                "employer": "ETH Zürich",
                "country": "CH",
                "title": "Postdoc",
                "post_level": "postdoc",
                "start": "2013-09-01",
                "end": "2016-08-31",
                "is_research": True,
                "full_time": True,
            },
            {
                "employer": "University of Tokyo",
                "country": "JP",
                "title": "Associate Professor",
                "post_level": "associate_professor",
                "start": "2016-09-01",
                "end": None,
                "is_research": True,
                "full_time": True,
            },
            {
                "employer": "Universidad de Chile",
                "country": "CL",
                "title": "Visiting",
                "post_level": "other",
                "start": "2019-01-01",
                "end": "2019-03-31",
                "is_research": False,
                "full_time": False,
            },
        ],
        "works": [
            {
                "title": "Fault-tolerant braiding of Majorana modes",
                "venue": "Nature Physics",
                "year": 2021,
                "document": {"name": "braiding.pdf", "pages": 12, "sha256": SHA_WORK},
            },
            {"title": "拓扑量子计算综述", "venue": "物理学报", "year": 2019, "document": None},
        ],
        "projects": [
            {"title": "拓扑量子比特实验", "funder": "JSPS", "role": "PI", "start_year": 2018, "end_year": 2022}
        ],
        "awards": [{"name": "青年科学家奖", "grantor": "日本物理学会", "year": 2020}],
        "documents": [
            {
                "kind": "cv",
                "label_zh": "个人简历",
                "label_en": "CV",
                "name": "cv.pdf",
                "pages": 3,
                "sha256": SHA_CV,
                "size": 245_760,
            },
            {
                "kind": "plan",
                "label_zh": "研究计划书",
                "label_en": "Research plan",
                "name": "计划书.pdf",
                "pages": 20,
                "sha256": SHA_PLAN,
                "size": 3_500_000,
            },
        ],
        "referees": [
            {"name": "李䶮", "institution": "清华大学", "title": "教授", "letter_received": True},
            {"name": "张堃", "institution": "复旦大学", "title": "研究员", "letter_received": False},
        ],
        "exclusions": [{"name": "赵某", "institution": "某大学", "reason": "存在竞争关系"}],
        "eligibility": [
            {
                "rule": "min_degree",
                "passed": True,
                "message_zh": "已获得博士学位（2013）",
                "message_en": "Holds a PhD (2013)",
            },
            {"rule": "max_age_exclusive", "passed": False, "message_zh": FAIL_REASON_ZH, "message_en": FAIL_REASON_EN},
        ],
    }


def empty_snapshot() -> dict:
    snap = sample_snapshot()
    for key in (
        "education",
        "positions",
        "works",
        "projects",
        "awards",
        "documents",
        "referees",
        "exclusions",
        "eligibility",
    ):
        snap[key] = []
    snap["application"].update(keywords=[], extra=[], plan="", exception={"requested": False, "justification": ""})
    snap["applicant"].update(disciplines=[], keywords=[])
    return snap


def _reader(pdf: bytes):
    assert pdf.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(pdf))


def _text(reader) -> str:
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _flat(text: str) -> str:
    """Extracted text without whitespace (extraction may split lines anywhere)."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def zh_pdf() -> bytes:
    return book.render_book(sample_snapshot(), "zh_CN")


@pytest.fixture(scope="module")
def en_pdf() -> bytes:
    return book.render_book(sample_snapshot(), "en")


def test_chinese_book_content(zh_pdf):
    text = _flat(_text(_reader(zh_pdf)))
    for expected in (
        "王𠮷",
        "李䶮",
        "张堃",
        "基于拓扑量子比特的容错量子计算研究",
        "2026-bairen-000123",
        SHA_CV,
        SHA_PLAN,
        SHA_WORK,
        "一、基本信息",
        "十一、资格审查",
        "十二、申请人承诺",
        FAIL_REASON_ZH,
        "不符合",
        "符合",
        "破格申请",
        "百人计划",
        "申报书",
        "物理研究所",
        "2026-11-2113:30",
        "博士",
        "美国",
        "副教授级",
        "至今",
        "已收到",
        "未收到",
        "是否回国全职工作",
        "个人简历",
        "CL",
    ):
        assert _flat(expected) in text, expected


def test_english_book_content(en_pdf):
    text = _flat(_text(_reader(en_pdf)))
    for expected in (
        "王𠮷",
        "李䶮",
        "Hundred Talents Program",
        "2026-bairen-000123",
        SHA_PLAN,
        "1. Basic information",
        "11. Eligibility check",
        FAIL_REASON_EN,
        "Not met",
        "Exception requested",
        "Application Book",
        "Institute of Physics",
        "United States",
        "present",
        "Received",
        "Yes",
        "PhD",
    ):
        assert _flat(expected) in text, expected
    assert "一、基本信息" not in text


@pytest.mark.parametrize(
    "locale, footer",
    [("zh_CN", "2026-bairen-000123·第{n}页/共{total}页"), ("en", "2026-bairen-000123·Page{n}of{total}")],
)
def test_header_and_footer_after_the_cover(locale, footer, zh_pdf, en_pdf):
    reader = _reader(zh_pdf if locale == "zh_CN" else en_pdf)
    total = len(reader.pages)
    pages = [_flat(page.extract_text()) for page in reader.pages]
    program = "百人计划" if locale == "zh_CN" else "HundredTalentsProgram"
    assert "第1页" not in pages[0] and "Page1of" not in pages[0]  # the cover has no footer
    for n, text in enumerate(pages[1:], start=2):
        # Margin boxes (header, then footer) are drawn after the page's content.
        assert text.endswith(program + footer.format(n=n, total=total))


def test_pages_are_a4(zh_pdf, en_pdf):
    for pdf in (zh_pdf, en_pdf):
        reader = _reader(pdf)
        assert len(reader.pages) >= 3
        for page in reader.pages:
            box = page.mediabox
            assert abs(float(box.width) - 595) <= 1 and abs(float(box.height) - 842) <= 1


def _fonts(font):
    """The font and, for Type0 composite fonts, their descendant fonts."""
    font = font.get_object()
    yield font
    for child in font.get("/DescendantFonts", []):
        yield child.get_object()


def test_fonts_are_embedded(zh_pdf):
    reader = _reader(zh_pdf)
    seen = 0
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for name, ref in fonts.get_object().items():
            descriptors = [f["/FontDescriptor"].get_object() for f in _fonts(ref) if "/FontDescriptor" in f]
            assert descriptors, f"font {name} has no descriptor"
            for descriptor in descriptors:
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), name
            seen += 1
    assert seen


def test_plan_html_is_escaped(zh_pdf):
    text = _text(_reader(zh_pdf))
    assert "<script>alert(1)</script>" in text
    html = book.render_book_html(sample_snapshot(), "zh_CN")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    # Line breaks and paragraphs of the plan are kept.
    assert "第一段：研究目标。<br>第二行保持换行。</p>" in html


def _glyph_ids(reader, char: str) -> set[int]:
    """Glyph ids that the fonts' ToUnicode maps give for ``char`` (WeasyPrint uses Identity-H)."""
    target = char.encode("utf-16-be").hex()
    ids = set()
    for page in reader.pages:
        for ref in page["/Resources"].get_object()["/Font"].get_object().values():
            font = ref.get_object()
            if "/ToUnicode" not in font:
                continue
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            for code, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", cmap):
                if uni.lower() == target:
                    ids.add(int(code, 16))
    return ids


@pytest.mark.parametrize("char", ["𠮷", "䶮", "堃"])
def test_rare_characters_have_glyphs(zh_pdf, char):
    # pypdf maps glyphs back through ToUnicode, so the character coming back shows it was drawn;
    # and it was drawn with a real glyph, not glyph 0 (.notdef, a tofu box).
    reader = _reader(zh_pdf)
    assert char in _text(reader)
    ids = _glyph_ids(reader, char)
    assert ids and 0 not in ids


@pytest.mark.parametrize(
    "tag, shown",
    [
        ('<link rel="stylesheet" href="http://127.0.0.1:9/x.css">', "127.0.0.1"),
        ('<link rel="stylesheet" href="file:///etc/passwd">', "/etc/passwd"),
        ('<style>body { background: url("https://example.com/a.png") }</style>', "example.com"),
    ],
)
def test_external_resource_in_template_fails_the_render(monkeypatch, tag, shown):
    # A (buggy) template pointing at an external resource must not be fetched, nor skipped silently.
    original = book.render_book_html
    monkeypatch.setattr(
        book,
        "render_book_html",
        lambda snap, locale="zh_CN": original(snap, locale).replace("</head>", tag + "</head>"),
    )
    with pytest.raises(book.URLRefusedError, match=shown):
        book.render_book(sample_snapshot())


def test_the_book_is_pdf_a_with_the_prepared_fonts(zh_pdf):
    reader = pypdf.PdfReader(io.BytesIO(zh_pdf))
    names = {
        str(f.get_object().get("/BaseFont"))
        for page in reader.pages
        for f in page["/Resources"].get_object().get("/Font", {}).get_object().values()
    }
    assert any("Letter-Serif" in n for n in names) and any("Letter-Sans" in n for n in names), names
    assert not any("Noto" in n for n in names), names  # no 20 MB system collection was subset
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(>|=\")3", metadata) and "/OutputIntents" in reader.trailer["/Root"]


@pytest.mark.parametrize(
    "locale, none_word, heading", [("zh_CN", "无", "二、教育经历"), ("en", "None", "2. Education")]
)
def test_empty_snapshot_says_none(locale, none_word, heading):
    html = book.render_book_html(empty_snapshot(), locale)
    # Education, positions, works, projects, awards, plan, exclusions, referees, documents, eligibility.
    assert html.count(f'<p class="none">{none_word}</p>') == 10
    assert "破格" not in html and "Exception requested" not in html
    text = _text(_reader(book.render_book(empty_snapshot(), locale)))
    assert heading.replace(" ", "") in _flat(text)
    assert none_word in text


def test_missing_keys_do_not_break_rendering():
    pdf = book.render_book({"reference": "x"}, "zh")
    assert "x" in _text(_reader(pdf))


def test_labels_for_codes_and_times():
    ctx = book.build_context(sample_snapshot(), "zh_CN")
    assert ctx["submitted_at"] == "2026-11-21 13:30"
    assert [e["degree"] for e in ctx["education"]] == ["学士", "博士"]
    assert [p["country"] for p in ctx["positions"]] == ["瑞士", "日本", "CL"]
    assert ctx["positions"][1]["period"].endswith("至今")
    assert ctx["applicant"]["gender"] == "男"
    assert [x["value"] for x in ctx["application"]["extra"]] == ["是", "5"]
    en = book.build_context(sample_snapshot(), "en_US")
    assert [x["value"] for x in en["application"]["extra"]] == ["Yes", "5"]
    assert en["applicant"]["gender"] == "Male" and en["positions"][1]["period"].endswith("present")
    assert book.beijing_time("2026-12-31T20:00:00+00:00") == "2027-01-01 04:00"


@pytest.mark.parametrize(
    "locale, nationality, rule, country",
    [
        ("zh_CN", "中国澳门", "申请表填报项下限", "西班牙"),
        ("en", "Macao, China", "Minimum of a form answer", "Spain"),
    ],
)
def test_shared_names_not_codes(locale, nationality, rule, country):
    snap = sample_snapshot()
    snap["applicant"]["nationality"] = "MO"
    snap["education"][0]["country"] = "ES"
    snap["eligibility"].append(
        {
            "rule": "min_extra",
            "passed": True,
            "message_zh": "承诺在国内工作的连续年数为 5，达到下限 3",
            "message_en": "Committed consecutive years is 5, meeting the minimum of 3",
        }
    )
    context = book.build_context(snap, locale)
    assert context["applicant"]["nationality"] == nationality
    assert context["education"][0]["country"] == country
    assert context["eligibility"][-1]["rule"] == rule
    html = book.render_book_html(snap, locale)
    for expected in (nationality, rule, country):
        assert expected in html
    for code in (">MO<", ">ES<", "min_extra"):
        assert code not in html
