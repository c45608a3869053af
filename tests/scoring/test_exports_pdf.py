"""scoring/exports/pdf.py: the 评议结果通报 PDF, read back with pdftotext and drawn with pdftoppm
(poppler-utils), for the small world of tests/factories/scoring.py."""

import re
import shutil
import subprocess
from html import unescape

import pytest
from django.utils import translation

from core.textgrid import PT, text_width
from scoring import document, services
from scoring.exports import download_name, pdf, report_title
from scoring.models import ExternalScore
from sessions.models import RaterGroup, Unit
from tests.factories import UnitCategoryFactory, UnitFactory
from tests.factories.scoring import scored_session

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")
PDFFONTS = shutil.which("pdffonts")
needs_poppler = pytest.mark.skipif(
    None in (PDFTOTEXT, PDFTOPPM, PDFFONTS),
    reason="pdftotext, pdftoppm and pdffonts (Debian package poppler-utils) are not installed",
)

LEADERS = ["GFGAP", "GGFAA", "FGGPA"]
DEPARTMENTS = ["GGFFA", "FGGAP"]
# The cards follow the ranking tables: towns then departments, each in rank order.
CARD_ORDER = ["东风街道", "城关镇", "财政局", "教育局", "民政局"]


def world(**kwargs):
    return scored_session(leaders=LEADERS, departments=DEPARTMENTS, **kwargs)


def pdf_pages(data: bytes, tmp_path) -> list[str]:
    """The text of each page (pdftotext ends every page with a form feed)."""
    path = tmp_path / "result.pdf"
    path.write_bytes(data)
    text = subprocess.run(  # noqa: S603  (a fixed program on our own file)
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return text.split("\f")[:-1]


def compact(text: str) -> str:
    """pdftotext spaces CJK text and digits unevenly ("第1名/2"): compare without whitespace."""
    return re.sub(r"\s+", "", text)


def test_css_content_keeps_the_sentence_whole_around_the_counters():
    assert pdf.css_content("第 %(page)s 页，共 %(pages)s 页") == (
        '"第 " counter(page) " 页，共 " counter(pages) " 页"'
    )
    assert pdf.css_content('预览"</style>') == '"预览\\"\\3c /style\\3e "'
    assert pdf.css_content("") == '""'


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("2026年度述职评议", "2026年度述职评议结果通报"),
        ("年中述职讲评暨现场问政会", "2026年年中述职讲评暨现场问政会评议结果通报"),
        ("年度综合考核述职评议会", "2026年度综合考核述职评议会评议结果通报"),
        ("2026年度综合考核述职评议会", "2026年度综合考核述职评议会评议结果通报"),
        ("2026年惠济区综合考核", "2026年惠济区综合考核评议结果通报"),
    ],
)
def test_report_title_adds_the_year_and_the_words_once(title, expected):
    w = world(title=title)

    assert report_title(document.build(w.session)) == expected


def test_download_name_says_preview_or_version():
    w = world()
    assert download_name(document.build(w.session), "pdf") == f"{w.session.slug}-评议结果-预览.pdf"

    services.result_publish(session=w.session, actor=None)

    assert download_name(document.build(w.session), "xlsx") == (
        f"{w.session.slug}-评议结果-第1版.xlsx"
    )


@needs_poppler
def test_render_prints_title_units_hash_and_preview(tmp_path):
    w = world()
    doc = document.build(w.session)

    pages = pdf_pages(pdf.render(doc, cards=False), tmp_path)

    text = "\n".join(pages)
    assert "2026年度述职评议结果通报" in text
    assert "预览（未发布）" in pages[0]
    assert "本通报为按当前数据计算的预览" in text
    for name in CARD_ORDER:
        assert name in text
    assert doc.inputs_hash in text
    assert "一、计分办法" in text
    assert "综合评议得分 = 县级领导 × 66.67% + 区直部门 × 33.33%" in text
    assert "优秀名额0个" in compact(text)
    assert "达到优秀分数线，但超出优秀比例，定为良好" in text
    assert "第1页，共" in compact(pages[0])


@needs_poppler
def test_ranking_rows_read_in_rank_order_with_their_scores(tmp_path):
    w = world()

    pages = pdf_pages(pdf.render(document.build(w.session), cards=False), tmp_path)

    lines = [re.sub(r"\s+", " ", line).strip() for line in "\n".join(pages).splitlines()]
    rows = [line for line in lines if re.match(r"^\d \S+ \d", line)]
    assert rows == [
        "1 东风街道1 93.33 100.00 95.55 0.00 95.55 良好",
        "2 城关镇2 93.33 90.00 92.22 0.00 92.22 良好",
        "1 财政局1 93.33 90.00 92.22 0.00 92.22 良好",
        "2 教育局 53.33 70.00 58.89 0.00 58.89 较差",
        "3 民政局 53.33 50.00 52.22 0.00 52.22 较差",
    ]


@needs_poppler
def test_a_category_without_participating_units_is_left_out_of_the_pdf(tmp_path):
    w = world()
    empty = UnitCategoryFactory(session=w.session, name="开发区", order=3)
    UnitFactory(session=w.session, category=empty, name="经开区管委会")  # in no draw
    services.result_publish(session=w.session, actor=None)
    doc = document.build(w.session)

    text = compact("".join(pdf_pages(pdf.render(doc), tmp_path)))

    assert [category.name for category in doc.categories] == ["镇(街道)", "区直部门"]
    assert "开发区" not in text
    assert "经开区管委会" not in text
    awards = text.split("三、优秀单位和先进单位")[1]
    assert awards.startswith("类别优秀单位先进单位（良好）镇(街道)")


@needs_poppler
def test_render_has_the_ranking_pages_then_one_card_per_unit(tmp_path):
    w = world()
    doc = document.build(w.session)
    ranking_pages = len(pdf_pages(pdf.render(doc, cards=False), tmp_path))

    pages = pdf_pages(pdf.render(doc), tmp_path)

    assert ranking_pages in (1, 2)
    assert len(pages) == ranking_pages + 5
    cards = pages[ranking_pages:]
    heads = [re.search(r"单位评议成绩单\s+(\S+)", page).group(1) for page in cards]
    assert heads == CARD_ORDER
    assert all("预览（未发布）" in page for page in pages)
    assert all(f"第{n}页，共{len(pages)}页" in compact(page) for n, page in enumerate(pages, 1))


@needs_poppler
def test_report_card_shows_votes_scores_rank_band_and_rule(tmp_path):
    w = world()
    ExternalScore.objects.create(
        session=w.session, unit=w.towns[1], bonus=-1, bonus_reason="安全生产事故扣分"
    )

    pages = pdf_pages(pdf.render(document.build(w.session)), tmp_path)

    card = next(page for page in pages if re.search(r"成绩单\s+东风街道", page))
    lines = [compact(line) for line in card.splitlines()]
    assert "第1名/294.55良好95.55" in lines
    assert "依据：优秀比例限制“好”票占比80.0%" in lines
    # 县级领导: 好 2, 较好 1 (东风街道 is the second letter of every ballot).
    assert "县级领导21000393.33" in lines
    assert "区直部门200002100.00" in lines
    assert "加减分-1.00" in lines
    assert "总分94.55" in lines
    assert "加减分理由：安全生产事故扣分" in lines
    assert "·达到优秀分数线，但超出优秀比例，定为良好" in lines


@needs_poppler
def test_report_card_shows_the_change_in_rank_since_last_year(tmp_path):
    last_year = scored_session(
        leaders=["GPGGG", "GPGGG"], departments=["GPGGG", "GPGGG"], year=2025, title="2025年度"
    )
    services.result_publish(session=last_year.session, actor=None)
    w = world()

    pages = pdf_pages(pdf.render(document.build(w.session)), tmp_path)

    text = compact("\n".join(pages))
    assert "上年第2名，上升1位" in text  # 东风街道
    assert "上年第1名，下降1位" in text  # 城关镇


def grid_lines(html: str, css: str) -> list[str]:
    """The lines of text of the core.textgrid table of class ``css``, spaces collapsed."""
    block = re.search(rf'<div class="text-grid {css}"[^>]*>(.*?)</div></div>', html, re.S)
    text = unescape(re.sub(r"<[^>]+>", "", block.group(1).replace("</div><div", "</div>\n<div")))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def card_html(html: str, unit: str) -> str:
    return re.search(
        rf'<span class="card-unit">{unit}&#10;</span>(.*?)</section>', html, re.S
    ).group(1)


def test_card_leaves_out_what_would_only_repeat_or_say_nothing():
    w = world()

    card = card_html(pdf.render_html(document.build(w.session)), "教育局")

    # 综合评议 is the only component and there is no 加减分: 总分 and 综合评议得分 are in the
    # facts already; no group has a 说明; nothing was commented, followed up or flagged.
    assert "text-grid components" not in card
    assert "text-grid votes" in card
    assert 'class="note"' not in card and "说明" not in card
    assert '<p class="none quiet">暂无书面点评，无督办事项，无特殊情况。</p>' in card
    assert "<h3>督办事项</h3>" not in card


def test_card_shows_components_with_a_bonus_and_notes_where_a_group_has_one():
    w = world()
    RaterGroup.objects.filter(pk=w.leaders.pk).update(min_sample=4)  # 3 ballots: no data
    ExternalScore.objects.create(session=w.session, unit=w.towns[1], bonus=2, bonus_reason="表彰")

    card = card_html(pdf.render_html(document.build(w.session)), "东风街道")

    assert "加减分 +2.00" in grid_lines(card, "components")
    votes = grid_lines(card, "votes")
    assert votes[0] == "评议组 好 较好 一般 差 弃权 有效票 组得分 说明"
    assert votes[1].startswith("县级领导") and votes[1].endswith("— 有效票不足，不计入")
    assert "<h3>说明</h3>" in card  # flagged: groups without data


def test_every_line_of_the_card_tables_stays_inside_its_table_in_english():
    """A wrapped cell is lines of its own (no template step may join them): in English the
    说明 "Too few valid votes, left out" wraps in its 40 mm column."""
    w = world()
    RaterGroup.objects.filter(pk=w.leaders.pk).update(min_sample=4)  # 3 ballots: no data
    with translation.override("en"):
        html = pdf.render_html(document.build(w.session))

    checked = 0
    for band in re.finditer(
        r'<div class="band[^"]*" style="font-size:([\d.]+)pt;[^"]*">(.*?)</div>', html, re.S
    ):
        width = re.findall(r'class="text-grid[^"]*" style="width:([\d.]+)mm', html[: band.start()])[
            -1
        ]
        for line in unescape(re.sub(r"<[^>]+>", "", band.group(2))).split("\n"):
            assert text_width(line) <= float(width) / (float(band.group(1)) * PT), line
            checked += 1
    assert "Too few valid votes, left out" not in html and "Too few valid votes, left<" in html
    assert checked > 40  # every line of 2 ranking tables and 5 cards


@needs_poppler
def test_published_pdf_has_no_preview_mark(tmp_path):
    w = world()
    services.result_publish(session=w.session, actor=None)
    doc = document.build(w.session)

    pages = pdf_pages(pdf.render(doc), tmp_path)

    text = "\n".join(pages)
    assert "预览" not in text
    assert "第1版" in compact(pages[0])
    assert doc.inputs_hash in text


@needs_poppler
def test_chinese_is_drawn_with_the_shipped_subset_font(tmp_path):
    w = world()
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf.render(document.build(w.session), cards=False))

    fonts = subprocess.run(  # noqa: S603
        [PDFFONTS, str(path)], capture_output=True, check=True, text=True
    ).stdout

    assert "Huiji-Report" in fonts


@needs_poppler
def test_formula_looking_and_html_unit_names_print_as_text(tmp_path):
    w = world()
    Unit.objects.filter(pk=w.towns[0].pk).update(name="=SUM(A1)")
    Unit.objects.filter(pk=w.departments[0].pk).update(name="<b>财政局</b>")

    text = "\n".join(pdf_pages(pdf.render(document.build(w.session)), tmp_path))

    assert "=SUM(A1)" in text
    assert "<b>财政局</b>" in text


@needs_poppler
def test_pages_render_to_png(tmp_path):
    w = world()
    doc = document.build(w.session)
    ranking_pages = len(pdf_pages(pdf.render(doc, cards=False), tmp_path))
    path = tmp_path / "result.pdf"
    path.write_bytes(pdf.render(doc))

    for page in (1, ranking_pages + 1):
        subprocess.run(  # noqa: S603
            [PDFTOPPM, "-r", "60", "-png", "-f", str(page), "-l", str(page), str(path),
             str(tmp_path / f"page{page}")],
            check=True,
        )  # fmt: skip

    pngs = sorted(p.name for p in tmp_path.glob("page*.png"))
    assert len(pngs) == 2
    assert all((tmp_path / name).stat().st_size > 1000 for name in pngs)


def test_download_is_made_when_the_cache_cannot_be_reached(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    doc = document.build(world().session)

    body = pdf.render_for_download(doc, cards=False)

    assert body[:5] == b"%PDF-"
    assert "result PDF: the cache failed, rendering" in caplog.text
