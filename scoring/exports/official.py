"""评议结果通报 in official-document format (GB/T 9704-2012 《党政机关公文格式》), beside the
working copy of scoring/exports/pdf.py, which keeps its own layout (docs/results.md, "通报
(official format)").

``render(doc)`` prints, from the same :class:`~scoring.document.ResultDocument`:

- the 版头: the 发文机关标志 (the issuer's name, red, large, centred), the 发文字号 under it and
  the red rule the width of the 版心;
- the title ``关于<…评议结果>的通报`` and the body in 3号 仿宋: the event in one sentence, the
  计分办法 in words, one table per category (名次, 单位, 总分, 等次), the notes the scheme asks
  to print (「说明」);
- the 落款 and the 成文日期, with room above them for the seal;
- the 版记 (抄送, 印发机关 and 印发日期 between rules) at the foot of the last page, and the page
  numbers "— 1 —" under the 版心, odd pages right and even pages left.

The letterhead comes from the session's settings (ReviewSession.notice_*). None of them is
required: a blank 发文机关 prints the district's name, a blank 发文字号 prints 〔　〕号 for the
number to be written in, a blank 落款 or 印发机关 repeats the issuer and a blank 抄送 leaves
the line out (docs/results.md, "通报 (official format)", "Settings").
"""

from __future__ import annotations

import datetime
import functools
import re
import shutil
import subprocess  # noqa: S404  (fc-list, a fixed program, to find the installed faces)
import unicodedata
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core.pdf import FONT_URL, html_to_pdf
from scoring import analysis
from scoring.document import DocCategory, DocRow, ResultDocument
from sessions.models import ReviewSession

from . import report_title, score_text
from .pdf import css_content

TEMPLATE = "scoring/result_official_pdf.html"

# GB/T 9704-2012 §5.2.1: A4, a 版心 of 156 × 225 mm with 37 mm above it (天头) and 28 mm at the
# binding edge (订口); the right and bottom margins are what is left (docs/results.md, "通报
# (official format)", "Geometry"). In millimetres.
PAGE_WIDTH, PAGE_HEIGHT = 210, 297
TEXT_WIDTH, TEXT_HEIGHT = 156, 225
MARGIN_TOP, MARGIN_LEFT = 37, 28
MARGIN_RIGHT = PAGE_WIDTH - MARGIN_LEFT - TEXT_WIDTH  # 26
MARGIN_BOTTOM = PAGE_HEIGHT - MARGIN_TOP - TEXT_HEIGHT  # 35
# §5.2.3: 22 lines of 28 characters of 3号 (16 pt) fill the 版心. A 3号 character is 5.64 mm
# wide, so 28 of them need a little less than their own width each: the letter spacing takes
# the difference (negative, about 0.2 pt).
BODY_PT = 16
PT_MM = 25.4 / 72
LINE_PT = round(TEXT_HEIGHT / 22 / PT_MM - 0.04, 2)  # 28.95: 22 lines stay inside 225 mm
LETTER_SPACING_PT = round(TEXT_WIDTH / 28 / PT_MM - BODY_PT - 0.005, 2)  # −0.21
# The 发文机关标志 (§7.2.4) has no fixed size: as large as looks right, at most 15 mm a
# character, smaller for a long name so that it stays on one line inside the 版心.
ISSUER_MAX_MM = 15.0
ISSUER_WIDTH_MM = TEXT_WIDTH - 6

# Faces named by GB/T 9704 and the names fontconfig knows them by (full name or PostScript
# name, English and Chinese). The first installed one of each is loaded by @font-face local();
# without one the template falls back to Noto Serif CJK SC (Debian's fonts-noto-cjk, which
# docs/deployment.md installs), then to the shipped subset of core.pdf (docs/results.md, "通报
# (official format)", "Fonts").
FANGSONG = (
    "FangSong",
    "仿宋",
    "STFangsong",
    "华文仿宋",
    "FangSong_GB2312",
    "仿宋_GB2312",
    "FZFangSong-Z02S",
    "方正仿宋简体",
    "FZFangSong-Z02",
    "方正仿宋_GBK",
)
XIAOBIAOSONG = (
    "FZXiaoBiaoSong-B05S",
    "方正小标宋简体",
    "FZXiaoBiaoSong-B05",
    "方正小标宋_GBK",
)
HEITI = ("SimHei", "黑体", "STHeiti", "华文黑体", "FZHei-B01S", "方正黑体简体")
KAITI = (
    "KaiTi",
    "楷体",
    "STKaiti",
    "华文楷体",
    "KaiTi_GB2312",
    "楷体_GB2312",
    "FZKai-Z03S",
    "方正楷体简体",
)

CHINESE_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Faces:
    """The local() name of each installed GB/T 9704 face, or "" where none is installed."""

    fangsong: str
    xiaobiaosong: str
    heiti: str
    kaiti: str


@dataclass(frozen=True)
class Letterhead:
    issuer: str
    number: str
    signatory: str
    copy_to: str  # "" leaves the 抄送 line out
    printed_by: str


@dataclass(frozen=True)
class OfficialTable:
    category: DocCategory
    heading: str  # （一）镇(街道)
    ranked: int
    rows: list[tuple[str, DocRow, str]]  # (rank, row, total)
    notes: list[tuple[str, list[str]]]  # (unit, sentences) of the rows that carry any


def font_names(listing: str) -> frozenset[str]:
    """Every full, PostScript and family name in ``fc-list --format`` output of
    ``%{fullname}|%{postscriptname}|%{family}`` lines (fontconfig joins several names of one
    kind with commas)."""
    names = set()
    for line in listing.splitlines():
        for field in line.split("|"):
            names.update(name.strip() for name in field.split(",") if name.strip())
    return frozenset(names)


@functools.cache
def installed_font_names() -> frozenset[str]:
    """The names of the fonts fontconfig knows, asked once per process. Without fc-list
    nothing counts as installed: the fallbacks need no name to be found."""
    program = shutil.which("fc-list")
    if program is None:
        return frozenset()
    try:
        listing = subprocess.run(  # noqa: S603  (a fixed program and format)
            [program, "--format", "%{fullname}|%{postscriptname}|%{family}\n"],
            capture_output=True,
            check=True,
            text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return font_names(listing)


def _first_installed(candidates: tuple[str, ...], installed: frozenset[str]) -> str:
    return next((name for name in candidates if name in installed), "")


def faces(installed: frozenset[str] | None = None) -> Faces:
    installed = installed_font_names() if installed is None else installed
    return Faces(
        fangsong=_first_installed(FANGSONG, installed),
        xiaobiaosong=_first_installed(XIAOBIAOSONG, installed),
        heiti=_first_installed(HEITI, installed),
        kaiti=_first_installed(KAITI, installed),
    )


def font_face_rules(found: Faces) -> list[tuple[str, str]]:
    """(family, local name) of an @font-face rule for each installed face; the template's font
    stacks name these families first, then the fallbacks."""
    families = (
        ("Notice FangSong", found.fangsong),
        ("Notice XiaoBiaoSong", found.xiaobiaosong),
        ("Notice HeiTi", found.heiti),
        ("Notice KaiTi", found.kaiti),
    )
    return [(family, name) for family, name in families if name]


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一: the 序数 of GB/T 9704's levels (一、and （一）)."""
    if n < 10:
        return CHINESE_DIGITS[n]
    tens, units = divmod(n, 10)
    return (
        ("" if tens == 1 else CHINESE_DIGITS[tens])
        + "十"
        + ("" if units == 0 else CHINESE_DIGITS[units])
    )


def date_text(day: datetime.date) -> str:
    """成文日期 and 印发日期 in Arabic numerals, without leading zeros (GB/T 9704 §7.3.5.4,
    §7.4.3): 2026年1月20日."""
    return _("%(year)s年%(month)s月%(day)s日") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


def letterhead(session: ReviewSession) -> Letterhead:
    issuer = session.notice_issuer.strip() or session.district.name
    return Letterhead(
        issuer=issuer,
        number=session.notice_number.strip() or _("〔　〕号"),
        signatory=session.notice_signatory.strip() or issuer,
        copy_to=session.notice_copy_to.strip().rstrip("。"),
        printed_by=session.notice_printed_by.strip() or issuer,
    )


def issuer_size_pt(issuer: str) -> float:
    """The 发文机关标志's size: ISSUER_MAX_MM a character, less when the name would not fit
    on one line (a character outside the CJK wide range counts as half)."""
    width = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in issuer)
    size_mm = min(ISSUER_MAX_MM, ISSUER_WIDTH_MM / max(width, 1.0))
    return round(size_mm / PT_MM, 1)


def notice_title(doc: ResultDocument) -> str:
    """关于2026年度述职评议结果的通报: the working copy's title (report_title) put the way a
    公文's title names its subject."""
    title = report_title(doc)
    suffix = _("通报")
    if not title.endswith(suffix):
        return title
    return _("关于%(subject)s的通报") % {"subject": title.removesuffix(suffix)}


def title_parts(title: str) -> list[tuple[str, bool]]:
    """The title in pieces, each with whether it must stay on one line: a bracketed part
    （三述两评一问） and the closing 评议结果的通报. A title of two lines then breaks between
    whole words (GB/T 9704 §7.3.1), never before a lone 的通报."""
    keep = re.compile("(（[^）]*）|" + re.escape(_("评议结果的通报")) + "$)")
    # Split on a group: the pieces between the matches at even places, the matches at odd ones.
    return [(piece, n % 2 == 1) for n, piece in enumerate(keep.split(title)) if piece]


def opening(doc: ResultDocument) -> str:
    session = doc.session
    values = {
        "title": session.title,
        "date": date_text(session.date) if session.date else "",
        "units": doc.row_count,
        "ballots": doc.ballots_used,
        "void": doc.ballots_void,
    }
    if session.date:
        text = _(
            "%(title)s于%(date)s举行，对%(units)s个单位进行评议，共收到有效评议表%(ballots)s张"
        )
    else:
        text = _("%(title)s对%(units)s个单位进行评议，共收到有效评议表%(ballots)s张")
    text %= values
    if doc.ballots_void:
        text += _("，作废%(void)s张（不计入结果）") % values
    return text + _("。现将评议结果通报如下。")


def _row_notes(row: DocRow) -> list[str]:
    return list(row.flags) + [
        _("加减分理由：%(reason)s") % {"reason": reason} for reason in row.bonus_reasons
    ]


def _table(number: int, category: DocCategory) -> OfficialTable:
    return OfficialTable(
        category=category,
        heading=_("（%(n)s）%(name)s") % {"n": chinese_number(number), "name": category.name},
        ranked=sum(1 for row in category.rows if row.rank is not None),
        rows=[
            ("—" if row.rank is None else str(row.rank), row, score_text(row.total) or "—")
            for row in category.rows
        ],
        notes=[(row.name, notes) for row in category.rows if (notes := _row_notes(row))],
    )


def official_notes(session: ReviewSession, doc: ResultDocument) -> list[str]:
    """Sentences the scheme asks the 通报 to print under 「说明」: what it declared in advance
    about rater-bias flags (docs/results.md, "Rater bias"); none by default."""
    return analysis.notice_notes(session)


def render_html(doc: ResultDocument, *, notes: list[str] | None = None) -> str:
    """The 通报's HTML; ``notes`` stands in for official_notes()."""
    session = doc.session
    head = letterhead(session)
    # 成文日期 and 印发日期: the day the result was published (a correction's day for a
    # corrected one), or the day a preview is made.
    day = timezone.localdate(doc.generated_at)
    notes = official_notes(session, doc) if notes is None else notes
    found = faces()
    title = notice_title(doc)
    tables = [_table(n, category) for n, category in enumerate(doc.categories, start=1)]
    return render_to_string(
        TEMPLATE,
        {
            "doc": doc,
            "head": head,
            "title": title,
            "title_parts": title_parts(title),
            "opening": opening(doc),
            "tables": tables,
            "notes": notes,
            "written_on": date_text(day),
            "printed_on": date_text(day),
            "font_faces": font_face_rules(found),
            # 小标宋 is a bold face of its own; its stand-in is the serif's bold.
            "title_weight": "normal" if found.xiaobiaosong else "bold",
            "font_url": FONT_URL,
            "geometry": {
                "page_width": PAGE_WIDTH,
                "page_height": PAGE_HEIGHT,
                "top": MARGIN_TOP,
                "right": MARGIN_RIGHT,
                "bottom": MARGIN_BOTTOM,
                "left": MARGIN_LEFT,
            },
            "body_pt": BODY_PT,
            "line_pt": LINE_PT,
            "two_lines_pt": 2 * LINE_PT,
            "letter_spacing_pt": LETTER_SPACING_PT,
            "issuer_pt": issuer_size_pt(head.issuer),
            "preview_header": css_content(doc.preview_label),
        },
    )


def render(doc: ResultDocument) -> bytes:
    """The 通报 of ``doc`` in official-document format, as PDF bytes."""
    return html_to_pdf(render_html(doc))
