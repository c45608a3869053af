"""评议结果通报 as a PDF, drawn by WeasyPrint from a Django template.

``render(doc)`` prints, from one :class:`~scoring.document.ResultDocument`:

- the 通报: title ``<年度><评议会名称>评议结果通报``, date, the 计分办法 in words, one ranking
  table per category (rank, unit, group scores, 综合评议得分 and the other components, 加减分,
  总分, 等次) with the 优秀 cap and numbered notes for every flagged row, the 优秀单位 and
  先进单位 lists, the void ballots and the footnotes with the SHA-256 of the inputs;
- then, with ``cards=True`` (the default), one page per unit: its report card (成绩单), with
  the score by group and by component, the votes per grade and group, rank, band and the rule
  that gave it, the flags and the change in rank against last year's published result.

A4 portrait, page numbers in the footer; before publication a large 预览（未发布） watermark
and a header on every page.

Font strategy (DESIGN.md section 8), as in sessions/cards.py: the template embeds the shipped
pre-subset static/fonts/NotoSansSC-subset.otf through @font-face by its file URI, with the
system "Noto Sans CJK SC" as the fallback for a character outside it. bench/bench_results.py
measures the render.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass

import weasyprint
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from redis.exceptions import RedisError
from weasyprint import HTML

from scoring.document import GRADE_COLUMNS, DocCategory, DocRow, ResultDocument

from . import bonus_text, report_title, score_text

FONT_FILE = settings.BASE_DIR / "static" / "fonts" / "NotoSansSC-subset.otf"
STYLESHEET = settings.BASE_DIR / "static" / "css" / "result_pdf.css"
TEMPLATE = "scoring/result_pdf.html"
DOWNLOAD_CACHE_SECONDS = 3600
CACHE_ERRORS = (DatabaseError, RedisError)  # as sessions/throttle.py: database or Redis cache

logger = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def css_content(text: str) -> SafeString:
    """A translated sentence with ``%(page)s``/``%(pages)s`` placeholders as the value of a CSS
    ``content`` property: ``"第 " counter(page) " 页"``. The sentence stays one msgid, so a
    translation may put the numbers where its language wants them."""
    parts = []
    for index, piece in enumerate(PLACEHOLDER.split(text)):
        if index % 2:
            parts.append(f"counter({piece})")
        elif piece:
            # JSON string escaping is valid CSS string escaping for what a sentence holds; the
            # brackets are escaped so that no text can close the <style> element.
            parts.append(
                json.dumps(piece, ensure_ascii=False).replace("<", "\\3c ").replace(">", "\\3e ")
            )
    return mark_safe(" ".join(parts) or '""')  # noqa: S308  (escaped above)


@dataclass(frozen=True)
class RankingRow:
    row: DocRow
    group_scores: list[str]
    components: list[str]
    bonus: str
    total: str
    note: int | None  # the number of its note under the table


@dataclass(frozen=True)
class RankingTable:
    category: DocCategory
    rows: list[RankingRow]
    notes: list[tuple[int, str, list[str]]]  # (number, unit, sentences)
    ranked: int


@dataclass(frozen=True)
class CardGroup:
    name: str
    counts: list[int]
    votes: int
    score: str
    note: str
    line: str  # counts, 有效票 and 组得分 as one aligned run (see aligned_run)


@dataclass(frozen=True)
class Card:
    row: DocRow
    category: DocCategory
    ranked: int
    groups: list[CardGroup]
    components: list[tuple[str, str]]
    review: str
    bonus: str
    total: str
    good_share: str
    rank_change: str
    # The 各项得分 table only where it says more than the facts above it (总分, 综合评议得分):
    # with 综合评议 the only component and no 加减分 it would repeat them, and every line of
    # text costs the render time (docs/benchmarks.md, results PDF).
    components_table: bool
    group_notes: bool  # whether any group has a 说明 (else the table has no such column)
    votes_head: str  # the votes table's column labels, aligned over each CardGroup.line


# The shipped font's advance widths in figures (a digit is 555 of 1,000 units): a CJK
# character is 1,000, the period 278, the dash 894. Other characters count as a figure.
FIGURE, PUNCTUATION = "\u2007", "\u2008"  # a digit's width, a period's width (Pango)
_WIDTHS = {".": 278 / 555, PUNCTUATION: 278 / 555, "—": 894 / 555}


def _width(text: str) -> float:
    return sum(_WIDTHS.get(c, 1000 / 555 if ord(c) > 0x2E7F else 1.0) for c in text)


def aligned_run(values: list[str], field: int) -> str:
    """``values`` right-aligned in fields of ``field`` figures, as one line of text.

    WeasyPrint spends about 0.5 ms of CPU on each text box, and the votes table was most of a
    card's boxes (docs/benchmarks.md, results PDF): one run per row, padded with figure and
    punctuation spaces, lines the numbers up under the labels at a fraction of the cost.
    The padding is rounded to half a figure, carrying the error to the next field so that no
    field's right edge drifts by more than a quarter of a figure.
    """
    parts, carry = [], 0.0
    for value in values:
        pad = field - _width(value) + carry
        halves = max(0, round(pad * 2))
        carry = pad - halves / 2
        parts.append(FIGURE * (halves // 2) + PUNCTUATION * (halves % 2) + value)
    return "".join(parts)


def _notes_for(row: DocRow) -> list[str]:
    return list(row.flags) + [
        _("加减分理由：%(reason)s") % {"reason": reason} for reason in row.bonus_reasons
    ]


def _ranking_table(doc: ResultDocument, category: DocCategory) -> RankingTable:
    rows, notes = [], []
    for row in category.rows:
        sentences = _notes_for(row)
        number = None
        if sentences:
            number = len(notes) + 1
            notes.append((number, row.name, sentences))
        scores = {cell.key: cell.score for cell in row.groups}
        rows.append(
            RankingRow(
                row=row,
                group_scores=[score_text(scores.get(key)) for key, _name in doc.groups],
                components=[score_text(row.components.get(key)) for key, _l in doc.components],
                bonus=bonus_text(row.bonus),
                total=score_text(row.total),
                note=number,
            )
        )
    ranked = sum(1 for row in category.rows if row.rank is not None)
    return RankingTable(category=category, rows=rows, notes=notes, ranked=ranked)


def rank_change_text(row: DocRow) -> str:
    """上年第 3 名，上升 1 位 — only where last year's published result ranked the unit."""
    if row.previous_rank is None or row.rank is None:
        return ""
    values = {"previous": row.previous_rank, "n": abs(row.rank_change or 0)}
    if row.rank_change and row.rank_change > 0:
        return _("上年第 %(previous)s 名，上升 %(n)s 位") % values
    if row.rank_change and row.rank_change < 0:
        return _("上年第 %(previous)s 名，下降 %(n)s 位") % values
    return _("上年第 %(previous)s 名，名次不变") % values


def _card(doc: ResultDocument, category: DocCategory, ranked: int, row: DocRow) -> Card:
    groups = []
    notes_column = any(not cell.has_data or cell.trimmed for cell in row.groups)
    # Seven fields of 11 figures (5.3 pt each at 9.5 pt) fill the 145 mm beside the group
    # names; beside a 40 mm 说明 column only 7 figures fit (table.votes in result_pdf.css).
    field = 7 if notes_column else 11
    for cell in row.groups:
        notes = []
        if not cell.has_data:
            notes.append(_("有效票不足，不计入"))
        if cell.trimmed:
            notes.append(_("去掉一个最高值和一个最低值"))
        counts = [cell.counts.get(grade, 0) for grade, _label in GRADE_COLUMNS]
        score = score_text(cell.score)
        groups.append(
            CardGroup(
                name=cell.name,
                counts=counts,
                votes=cell.votes,
                score=score,
                note=_("；").join(notes),
                line=aligned_run([str(n) for n in [*counts, cell.votes]] + [score or "—"], field),
            )
        )
    share = ""
    if row.valid_votes:
        share = f"{row.good_votes * 100 / row.valid_votes:.1f}%"
    return Card(
        row=row,
        category=category,
        ranked=ranked,
        groups=groups,
        components=[(label, score_text(row.components.get(key))) for key, label in doc.components],
        review=score_text(row.review),
        bonus=bonus_text(row.bonus),
        total=score_text(row.total),
        good_share=share,
        rank_change=rank_change_text(row),
        components_table=len(doc.components) > 1 or bool(row.bonus),
        group_notes=any(group.note for group in groups),
        votes_head=aligned_run(
            [str(label) for _grade, label in GRADE_COLUMNS] + [_("有效票"), _("组得分")], field
        ),
    )


def render_html(doc: ResultDocument, *, cards: bool = True) -> str:
    tables = [_ranking_table(doc, category) for category in doc.categories]
    unit_cards = (
        [_card(doc, t.category, t.ranked, row) for t in tables for row in t.category.rows]
        if cards
        else []
    )
    return render_to_string(
        TEMPLATE,
        {
            "doc": doc,
            "title": report_title(doc),
            "tables": tables,
            "cards": unit_cards,
            "grade_labels": [str(label) for _grade, label in GRADE_COLUMNS],
            "font_url": FONT_FILE.as_uri(),
            "stylesheet_url": STYLESHEET.as_uri(),
            "page_footer": css_content(_("第 %(page)s 页，共 %(pages)s 页")),
            "preview_header": css_content(doc.preview_label),
        },
    )


def render(doc: ResultDocument, *, cards: bool = True) -> bytes:
    """The 评议结果通报 of ``doc`` as PDF bytes; ``cards=False`` leaves out the per-unit report
    cards (the "ranking PDF" of DESIGN.md section 8)."""
    return _pdf(render_html(doc, cards=cards))


def _pdf(html: str) -> bytes:
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def download_key(html: str) -> str:
    """The cache key of the PDF made from ``html`` with today's stylesheet, font and WeasyPrint."""
    font = FONT_FILE.stat()
    digest = hashlib.sha256()
    for part in (weasyprint.__version__, f"{font.st_size}:{font.st_mtime_ns}", html):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(STYLESHEET.read_bytes())
    return f"result-pdf:{digest.hexdigest()}"


def render_for_download(doc: ResultDocument, *, cards: bool = True) -> bytes:
    """:func:`render`, kept for an hour under the SHA-256 of what the PDF is made from: the
    HTML (every number, name, date and follow-up state printed), the stylesheet, the font and
    the WeasyPrint version. The same document downloaded again is then sent at once, and any
    change (a ballot, a comment, a follow-up's state, the day a preview is made) gives another
    key, so the file is never stale, preview or published (docs/benchmarks.md, results PDF).
    A snapshot's hash alone would not do: the cards print comments and follow-ups that change
    after publication."""
    html = render_html(doc, cards=cards)
    key = download_key(html)
    try:
        body = cache.get(key)
    except CACHE_ERRORS:
        # The kept file only saves time: without the cache the file is made, never refused.
        logger.warning("result PDF: the cache failed, rendering", exc_info=True)
        return _pdf(html)
    if body is None:
        body = _pdf(html)
        try:
            cache.set(key, body, DOWNLOAD_CACHE_SECONDS)
        except CACHE_ERRORS:
            logger.warning("result PDF: the cache failed, not kept", exc_info=True)
    return body
