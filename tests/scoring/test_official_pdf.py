"""scoring/exports/official.py and its download: the 评议结果通报 in official-document format
(GB/T 9704-2012, docs/results.md, "通报 (official format)"), read back from the PDF itself with
poppler-utils: the page size with pdfinfo, where every line of text lies with pdftotext
-bbox-layout, the colours with pdftoppm. The session is tests/factories/scoring.py's."""

import datetime
import re
import shutil
import subprocess
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from org.access import Role
from org.models import District
from scoring import document, services
from scoring.exports import official
from sessions.models import ReviewSession
from tests.factories import UserFactory
from tests.factories.scoring import scored_session

pytestmark = pytest.mark.django_db

PDFINFO, PDFTOTEXT, PDFTOPPM, PDFFONTS = (
    shutil.which(name) for name in ("pdfinfo", "pdftotext", "pdftoppm", "pdffonts")
)
needs_poppler = pytest.mark.skipif(
    None in (PDFINFO, PDFTOTEXT, PDFTOPPM, PDFFONTS),
    reason="pdfinfo, pdftotext, pdftoppm and pdffonts (Debian's poppler-utils) are not installed",
)

SLUG = "2026-notice"
MM = 72 / 25.4  # PDF points in a millimetre
TOLERANCE_MM = 1.0
# The 版心 (GB/T 9704-2012 §5.2.1): 28 mm from the left, 26 from the right, 37 from the top,
# 35 from the bottom of an A4 page.
TYPE_AREA = (28.0, 37.0, 210.0 - 26.0, 297.0 - 35.0)  # left, top, right, bottom in mm
CHARACTER_4 = 14 / MM  # one 4号 character, in mm: the page number's distance from the edge
PAGE_NUMBER = re.compile(r"— (\d+) —")

NOTICE = {
    "notice_issuer": "中共惠济区委组织部",
    "notice_number": "惠组〔2026〕12号",
    "notice_signatory": "中共惠济区委组织部",
    "notice_copy_to": "区委办公室，区人大常委会办公室",
    "notice_printed_by": "中共惠济区委组织部办公室",
}
LEADERS = ["GFGAP", "GGFAA", "FGGPA"]
DEPARTMENTS = ["GGFFA", "FGGAP"]


def make_world(**notice):
    world = scored_session(leaders=LEADERS, departments=DEPARTMENTS)
    ReviewSession.objects.filter(pk=world.session.pk).update(slug=SLUG, **notice)
    world.session.refresh_from_db()
    return world


def publish(world) -> None:
    services.result_publish(session=world.session, actor=UserFactory(username="publisher"))
    world.session.refresh_from_db()


@dataclass(frozen=True)
class Block:
    """One block of text as pdftotext -bbox-layout finds it, in millimetres from the top left
    corner of its page."""

    page: int
    left: float
    top: float
    right: float
    bottom: float
    text: str  # its words joined by spaces


def blocks(data: bytes, tmp_path) -> list[Block]:
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    layout = subprocess.run(  # noqa: S603  (a fixed program on our own file)
        [PDFTOTEXT, "-bbox-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    found = []
    for number, page in enumerate(re.findall(r"<page .*?</page>", layout, flags=re.S), start=1):
        for box, inner in re.findall(r"<block (.*?)>(.*?)</block>", page, flags=re.S):
            edges = dict(re.findall(r'(\w+)="([\d.]+)"', box))
            words = re.findall(r"<word [^>]*>(.*?)</word>", inner)
            found.append(
                Block(
                    page=number,
                    left=float(edges["xMin"]) / MM,
                    top=float(edges["yMin"]) / MM,
                    right=float(edges["xMax"]) / MM,
                    bottom=float(edges["yMax"]) / MM,
                    text=" ".join(words),
                )
            )
    return found


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_page_number(block: Block) -> bool:
    return PAGE_NUMBER.fullmatch(block.text) is not None


def in_reading_order(found: list[Block]) -> list[Block]:
    return sorted(found, key=lambda block: (block.page, round(block.top), block.left))


def pixels(data: bytes, tmp_path, *, page: int, dpi: int) -> tuple[int, int, bytes]:
    """Page ``page`` drawn by pdftoppm as a PPM: (width, height, RGB bytes)."""
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    ppm = subprocess.run(  # noqa: S603  (a fixed program on our own file)
        [PDFTOPPM, "-r", str(dpi), "-f", str(page), "-l", str(page), str(path)],
        capture_output=True,
        check=True,
    ).stdout
    magic, width, height, _depth, raster = ppm.split(maxsplit=4)
    assert magic == b"P6"
    return int(width), int(height), raster


@pytest.fixture
def published():
    world = make_world(**NOTICE)
    publish(world)
    return world


@pytest.fixture
def notice_pdf(published):
    return official.render(document.build(published.session))


# ---------------------------------------------------------------- geometry, from the PDF


@needs_poppler
def test_every_page_is_a4(notice_pdf, tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(notice_pdf)
    info = subprocess.run(  # noqa: S603  (a fixed program on our own file)
        [PDFINFO, "-box", "-f", "1", "-l", "99", str(path)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    boxes = re.findall(r"Page\s+\d+ MediaBox:\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", info)

    assert len(boxes) >= 2  # the test below then sees an odd and an even page
    assert set(boxes) == {("0.00", "0.00", "595.28", "841.89")}  # 210 × 297 mm


@needs_poppler
def test_every_line_of_the_document_lies_inside_the_type_area(notice_pdf, tmp_path):
    left, top, right, bottom = TYPE_AREA
    body = [block for block in blocks(notice_pdf, tmp_path) if not is_page_number(block)]

    outside = [
        block
        for block in body
        if block.left < left - TOLERANCE_MM
        or block.top < top - TOLERANCE_MM
        or block.right > right + TOLERANCE_MM
        or block.bottom > bottom + TOLERANCE_MM
    ]

    assert len(body) > 20
    assert outside == []


@needs_poppler
def test_page_numbers_lie_under_the_type_area_odd_right_even_left(notice_pdf, tmp_path):
    left, _top, right, bottom = TYPE_AREA
    found = blocks(notice_pdf, tmp_path)
    pages = max(block.page for block in found)

    numbers = [block for block in found if is_page_number(block)]

    assert [block.text for block in numbers] == [f"— {n} —" for n in range(1, pages + 1)]
    for block in numbers:
        # §7.5: about 7 mm under the 版心, one character in from its right (odd) or left (even)
        # edge.
        assert bottom + 4 < block.top < bottom + 9, block
        if block.page % 2:
            assert block.right == pytest.approx(right - CHARACTER_4, abs=TOLERANCE_MM)
        else:
            assert block.left == pytest.approx(left + CHARACTER_4, abs=TOLERANCE_MM)


@needs_poppler
def test_letterhead_title_signature_and_imprint_are_printed_in_order(notice_pdf, tmp_path):
    text = [
        compact(block.text)
        for block in in_reading_order(blocks(notice_pdf, tmp_path))
        if not is_page_number(block)
    ]
    today = official.date_text(timezone.localdate())

    assert text[:3] == [
        "中共惠济区委组织部",
        "惠组〔2026〕12号",
        "关于2026年度述职评议结果的通报",
    ]
    assert text[-5:] == [
        "中共惠济区委组织部",
        today,
        "抄送：区委办公室，区人大常委会办公室。",
        "中共惠济区委组织部办公室",
        f"{today}印发",
    ]


@needs_poppler
def test_imprint_sits_at_the_foot_of_the_last_page_and_the_seal_has_room(notice_pdf, tmp_path):
    _left, _top, _right, bottom = TYPE_AREA
    found = in_reading_order([b for b in blocks(notice_pdf, tmp_path) if not is_page_number(b)])
    last_page = found[-1].page
    printed = found[-1]
    signatory = next(b for b in reversed(found) if b.text == "中共惠济区委组织部")
    above = found[found.index(signatory) - 1]

    # §7.4.1: the 版记's last rule is the 版心's lower edge, so its last line is just above it.
    assert (printed.page, printed.text.endswith("印发")) == (last_page, True)
    assert bottom - 12 < printed.bottom < bottom
    # §7.3.5.1: two empty lines for the seal between the text and the signatory, on the page of
    # the text's end (a signature never stands on a page of its own).
    assert above.page == signatory.page
    assert signatory.top - above.bottom > 15


@needs_poppler
def test_issuer_and_the_rule_under_the_number_are_red(notice_pdf, tmp_path):
    dpi = 50
    width, _height, raster = pixels(notice_pdf, tmp_path, page=1, dpi=dpi)
    found = [b for b in blocks(notice_pdf, tmp_path) if b.page == 1]
    issuer, number = found[0], found[1]

    def rgb(x_mm: float, y_mm: float) -> tuple[int, int, int]:
        x, y = round(x_mm * dpi / 25.4), round(y_mm * dpi / 25.4)
        i = (y * width + x) * 3
        return raster[i], raster[i + 1], raster[i + 2]

    def red(colour) -> bool:
        r, g, b = colour
        return r > 180 and max(g, b) < 0.6 * r

    # Every pixel of the issuer's strokes (a channel well below white; the paler ones are their
    # anti-aliased edges) is red, none black or grey.
    inked = [
        colour
        for x in range(round(issuer.left * 2), round(issuer.right * 2))
        for y in range(round(issuer.top * 2), round(issuer.bottom * 2))
        if min(colour := rgb(x / 2, y / 2)) < 128
    ]
    # The rule: a row of red from the 版心's left edge to its right edge, 4 mm under the number.
    rule_rows = [
        y / 4
        for y in range(round(number.bottom * 4), round((number.bottom + 10) * 4))
        if all(red(rgb(x, y / 4)) for x in range(29, 184))
    ]

    assert len(inked) > 100 and all(red(colour) for colour in inked)
    assert not red(rgb(number.left + 1, (number.top + number.bottom) / 2))  # the number: black
    assert rule_rows and number.bottom < rule_rows[0] < number.bottom + 8
    assert not red(rgb(27, rule_rows[0])) and not red(rgb(185, rule_rows[0]))


@needs_poppler
def test_text_is_set_in_a_serif_face_and_the_title_in_its_bold(notice_pdf, tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(notice_pdf)
    listing = subprocess.run(  # noqa: S603  (a fixed program on our own file)
        [PDFFONTS, str(path)], capture_output=True, check=True, text=True
    ).stdout
    names = {line.split()[0].partition("+")[2] for line in listing.splitlines()[2:]}
    faces = official.faces()
    if faces.fangsong or faces.xiaobiaosong:
        pytest.skip("a licensed 仿宋 or 小标宋 is installed: the fallback is not used")

    assert {"Noto-Serif-CJK-SC", "Noto-Serif-CJK-SC-Bold"} <= names


def test_body_grid_is_22_lines_of_28_characters():
    line_mm = official.LINE_PT / MM
    character_mm = (official.BODY_PT + official.LETTER_SPACING_PT) / MM

    assert 22 * line_mm <= official.TEXT_HEIGHT < 23 * line_mm
    assert 28 * character_mm <= official.TEXT_WIDTH < 29 * character_mm


# ---------------------------------------------------------------- what it says


def test_blank_settings_print_the_district_and_a_visible_placeholder():
    world = make_world()
    head = official.letterhead(world.session)

    assert head == official.Letterhead(
        issuer=world.session.district.name,
        number="〔　〕号",
        signatory=world.session.district.name,
        copy_to="",
        printed_by=world.session.district.name,
    )


@needs_poppler
def test_blank_copy_to_leaves_the_line_out(tmp_path):
    world = make_world(**{**NOTICE, "notice_copy_to": ""})
    publish(world)

    text = [b.text for b in blocks(official.render(document.build(world.session)), tmp_path)]

    assert not any("抄送" in line for line in text)
    assert "中共惠济区委组织部办公室" in text


def tinted(data: bytes, tmp_path, page: int) -> int:
    """How many pixels carry the watermark's pale red (drawn at 13 % opacity) between 135 and
    200 mm from the top, where the watermark crosses every page and nothing else is red (the
    letterhead and its rule end above)."""
    dpi = 20
    width, _height, raster = pixels(data, tmp_path, page=page, dpi=dpi)
    rows = range(round(135 * dpi / 25.4), round(200 * dpi / 25.4))
    band = raster[rows.start * width * 3 : rows.stop * width * 3]
    colours = zip(band[0::3], band[1::3], band[2::3], strict=True)
    return sum(1 for r, g, b in colours if r > 235 and 190 < g < r - 12 and abs(g - b) < 10)


@needs_poppler
def test_preview_is_marked_on_every_page(tmp_path):
    world = make_world(**NOTICE)  # closed, not published
    data = official.render(document.build(world.session))

    found = blocks(data, tmp_path)
    pages = max(block.page for block in found)
    headers = [b.page for b in found if b.text == "预览（未发布）" and b.bottom < TYPE_AREA[1]]
    text = compact(" ".join(block.text for block in found))

    assert "本通报为按当前数据计算的预览，结果尚未发布，不作为正式结果。" in text
    assert headers == list(range(1, pages + 1))
    assert all(tinted(data, tmp_path, page) > 20 for page in range(1, pages + 1))


@needs_poppler
def test_published_notice_carries_no_preview_mark(published, tmp_path):
    data = official.render(document.build(published.session))

    assert 'class="watermark"' not in official.render_html(document.build(published.session))
    assert tinted(data, tmp_path, 1) == 0


@needs_poppler
def test_rehearsal_is_marked_as_such(tmp_path):
    world = make_world(**NOTICE)
    ReviewSession.objects.filter(pk=world.session.pk).update(rehearsal_started_at=timezone.now())
    world.session.refresh_from_db()

    doc = document.build(world.session)
    data = official.render(doc)

    found = blocks(data, tmp_path)
    pages = max(block.page for block in found)
    headers = [
        b.page for b in found if b.text == "彩排数据，不计入结果" and b.bottom < TYPE_AREA[1]
    ]
    text = compact(" ".join(block.text for block in found))

    assert "本通报为彩排中按彩排数据计算，彩排数据不计入结果，不作为任何结果。" in text
    assert headers == list(range(1, pages + 1))
    assert '<div class="watermark">彩排</div>' in official.render_html(doc)
    assert all(tinted(data, tmp_path, page) > 20 for page in range(1, pages + 1))


def test_ranking_tables_list_rank_unit_total_and_band(published):
    html = official.render_html(document.build(published.session))
    rows = [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(<td.*?)</tr>", html)
    ]
    doc = document.build(published.session)
    expected = [
        [str(row.rank), row.name, f"{row.total:.2f}", row.band]
        for category in doc.categories
        for row in category.rows
    ]

    assert rows == expected
    assert "（一）镇(街道)" in html and "（二）区直部门" in html


def test_notes_are_printed_under_their_own_heading_only_when_there_are_any(published):
    doc = document.build(published.session)

    without = official.render_html(doc)
    with_notes = official.render_html(doc, notes=["县级领导组评价偏宽，仅作说明，不调整得分。"])

    assert official.official_notes(published.session, doc) == []
    assert "三、说明" not in without
    assert "<h2>三、说明</h2>\n<p>县级领导组评价偏宽，仅作说明，不调整得分。</p>" in with_notes


def test_a_correction_says_so(published):
    services.result_correct(
        session=published.session, actor=UserFactory(), reason="纸质票录入有误，已更正"
    )

    html = official.render_html(document.build(published.session))

    assert "本通报依据更正后的第 2 版结果：纸质票录入有误，已更正" in html


# ---------------------------------------------------------------- the parts


@pytest.mark.parametrize(
    ("n", "words"), [(1, "一"), (9, "九"), (10, "十"), (12, "十二"), (20, "二十"), (34, "三十四")]
)
def test_chinese_number(n, words):
    assert official.chinese_number(n) == words


def test_dates_are_arabic_without_leading_zeros():
    assert official.date_text(datetime.date(2026, 1, 5)) == "2026年1月5日"


def test_issuer_is_large_and_shrinks_to_stay_on_one_line():
    long_name = "郑州市惠济区人民政府办公室和区委办公室联合"

    short = official.issuer_size_pt("中共惠济区委组织部")
    long = official.issuer_size_pt(long_name)

    assert short == round(official.ISSUER_MAX_MM * MM, 1)
    assert official.ISSUER_WIDTH_MM - 0.5 < len(long_name) * long / MM <= official.ISSUER_WIDTH_MM


def test_notice_title_names_its_subject():
    world = make_world()

    assert official.notice_title(document.build(world.session)) == "关于2026年度述职评议结果的通报"


@pytest.mark.parametrize(
    ("title", "parts"),
    [
        (
            "关于2026年年中述职讲评暨现场问政会评议结果的通报",
            [("关于2026年年中述职讲评暨现场问政会", False), ("评议结果的通报", True)],
        ),
        (
            "关于2025年度综合考核述职评议会（三述两评一问）评议结果的通报",
            [
                ("关于2025年度综合考核述职评议会", False),
                ("（三述两评一问）", True),
                ("评议结果的通报", True),
            ],
        ),
        ("关于评议结果的通报的说明", [("关于评议结果的通报的说明", False)]),
    ],
)
def test_title_parts_keep_brackets_and_the_closing_words_on_one_line(title, parts):
    assert official.title_parts(title) == parts


def test_font_names_reads_fc_list_output():
    listing = "FangSong,仿宋|FangSong|FangSong,仿宋\nNoto Serif CJK SC|NotoSerifCJKsc-Regular|x\n"

    assert official.font_names(listing) == {
        "FangSong",
        "仿宋",
        "Noto Serif CJK SC",
        "NotoSerifCJKsc-Regular",
        "x",
    }


def test_faces_take_the_first_installed_face_of_each_kind():
    assert official.faces(frozenset({"仿宋", "STFangsong", "SimHei"})) == official.Faces(
        fangsong="仿宋", xiaobiaosong="", heiti="SimHei", kaiti=""
    )
    assert official.faces(frozenset()) == official.Faces("", "", "", "")


def test_an_installed_face_is_loaded_by_its_local_name():
    rules = official.font_face_rules(official.Faces("仿宋", "", "SimHei", ""))

    assert rules == [("Notice FangSong", "仿宋"), ("Notice HeiTi", "SimHei")]


def test_without_an_installed_face_the_notice_names_only_the_fallbacks(published):
    html = official.render_html(document.build(published.session))
    if official.faces() != official.Faces("", "", "", ""):
        pytest.skip("a GB/T 9704 face is installed here")

    assert re.findall(r"@font-face \{ font-family: \"([^\"]+)\"", html) == ["Huiji Report"]
    assert 'font-family: "Notice FangSong", "Noto Serif CJK SC", "Huiji Report", serif;' in html


# ---------------------------------------------------------------- the download


def url(name: str) -> str:
    return reverse(f"scoring:{name}", args=[SLUG])


def test_download_url_is_beside_the_working_copy():
    assert (url("export_pdf"), url("export_official_pdf")) == (
        f"/sessions/{SLUG}/results/export.pdf",
        f"/sessions/{SLUG}/results/notice.pdf",
    )


def test_download_sends_anonymous_users_to_login(client):
    make_world(**NOTICE)

    response = client.get(url("export_official_pdf"))

    assert (response.status_code, response["Location"]) == (
        302,
        f"/login/?next={url('export_official_pdf')}",
    )


def test_download_of_another_districts_session_is_not_found(client):
    make_world(**NOTICE)
    east = District.objects.create(code="guancheng", name="管城回族区")
    client.force_login(UserFactory(role=Role.ORGANISER, role__district=east))

    response = client.get(url("export_official_pdf"))

    assert response.status_code == 404


def test_download_of_a_preview_is_forbidden_to_observers(observer_client):
    make_world(**NOTICE)

    response = observer_client.get(url("export_official_pdf"))

    assert response.status_code == 403


def test_organiser_downloads_the_notice(organiser_client):
    make_world(**NOTICE)

    response = organiser_client.get(url("export_official_pdf"), {"download_token": "17333123"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content[:5] == b"%PDF-"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''"
        "%E8%AF%84%E8%AE%AE%E7%BB%93%E6%9E%9C%E9%80%9A%E6%8A%A5-%E9%A2%84%E8%A7%88-2026-notice.pdf"
    )  # 评议结果通报-预览-2026-notice.pdf
    assert response.cookies["huiji_download"].value == "17333123"


def test_observer_downloads_the_published_notice(observer_client):
    world = make_world(**NOTICE)
    publish(world)

    response = observer_client.get(url("export_official_pdf"))

    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")


@needs_poppler
def test_working_copy_still_downloads_unchanged(organiser_client, tmp_path):
    make_world(**NOTICE)

    job_page = organiser_client.post(url("export_pdf"))["Location"]  # made off the request
    response = organiser_client.get(f"{job_page}download/")
    text = [compact(block.text) for block in blocks(b"".join(response.streaming_content), tmp_path)]

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''"
        "%E8%AF%84%E8%AE%AE%E7%BB%93%E6%9E%9C-%E9%A2%84%E8%A7%88-2026-notice.pdf"
    )  # 评议结果-预览-2026-notice.pdf
    assert "2026年度述职评议结果通报" in text[:3]  # its own masthead, no letterhead
    assert not any("惠组〔2026〕12号" in line for line in text)


def test_results_page_offers_both_pdfs_with_progress(organiser_client):
    make_world(**NOTICE)

    html = organiser_client.get(reverse("scoring:results", args=[SLUG])).content.decode()
    working = re.search(
        rf'<form [^>]*action="{url("export_pdf")}"[^>]*>.*?<button[^>]*>(.*?)<span', html
    )
    notice = re.search(rf'<a [^>]*href="{url("export_official_pdf")}"[^>]*>(.*?)<span', html)

    assert working.group(1).strip() == "导出 PDF（工作稿）"
    assert notice.group(1).strip() == "导出通报（公文格式）"
    assert 'data-download data-status="download-status"' in notice.group(0)
    assert 'data-busy="正在生成通报（公文格式），请稍候……"' in notice.group(0)
    assert f'href="/sessions/{SLUG}/edit/#notice-settings"' in html
