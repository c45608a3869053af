"""评议结果通报 as a PDF, drawn by WeasyPrint from a Django template.

``render(doc)`` prints, from one :class:`~scoring.document.ResultDocument`:

- the 通报: title ``<年度><评议会名称>评议结果通报``, date, the 计分办法 in words, one ranking
  table per category (rank, unit, group scores, 综合评议得分 and the other components, 加减分,
  总分, 等次) with the 优秀 cap and numbered notes for every flagged row, the 优秀单位 and
  先进单位 lists, the void ballots and the footnotes with the SHA-256 of the inputs;
- then, with ``cards=True`` (the default), one page per unit: its report card (成绩单), with
  the score by group and by component, the votes per grade and group, rank, band and the rule
  that gave it, the flags and the change in rank against last year's published result.

Every table is drawn by core/textgrid.py as lines of text over one SVG of its rules: a
table cell of its own cost WeasyPrint about a millisecond, most of the render time
(docs/benchmarks.md, "The results PDF with 40 report cards").

A4 portrait, page numbers in the footer; before publication a large 预览（未发布） watermark
and a header on every page.

Font strategy (docs/design.md §8), as in sessions/cards.py: the template embeds the shipped
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

from core.textgrid import HEAD_FILL, Band, Cell, Column, Row, grid
from scoring.document import GRADE_COLUMNS, DocCategory, DocRow, ResultDocument

from . import bonus_text, report_title, score_text

FONT_FILE = settings.BASE_DIR / "static" / "fonts" / "NotoSansSC-subset.otf"
STYLESHEET = settings.BASE_DIR / "static" / "css" / "result_pdf.css"
TEMPLATE = "scoring/result_pdf.html"
DOWNLOAD_CACHE_SECONDS = 3600
CACHE_ERRORS = (DatabaseError, RedisError)  # as core/throttle.py: database or Redis cache

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
    notes: list[tuple[int, str, list[str]]]  # (number, unit, sentences)
    ranked: int
    grids: list[SafeString]  # the table, in parts of at most RANKING_ROWS rows


@dataclass(frozen=True)
class Card:
    row: DocRow
    category: DocCategory
    facts: SafeString  # 排名, 总分, 等次, 综合评议得分 and the line under them
    votes: SafeString  # 各评议组得分与票数
    # The 各项得分 table only where it says more than the facts above it (总分, 综合评议得分):
    # with 综合评议 the only component and no 加减分 it would repeat them, and every line of
    # text costs the render time (docs/benchmarks.md, results PDF).
    components: SafeString | None


# The tables are drawn by core.textgrid: every cell a box of its own cost about 1 ms of CPU
# each, most of the time of the PDF (docs/benchmarks.md, "The results PDF with 40 report
# cards"). Widths in mm: the page is A4 less the 15 mm side margins of result_pdf.css.
CONTENT_WIDTH = 180.0
RANKING_ROWS = 25  # a longer category is cut into parts, each with the header (never split)
TOTAL_FILL = "#f6f6f6"


def _notes_for(row: DocRow) -> list[str]:
    return list(row.flags) + [
        _("加减分理由：%(reason)s") % {"reason": reason} for reason in row.bonus_reasons
    ]


def _band_css(row: DocRow) -> str:
    """优秀 in red; no class (no extra text box) for the other bands, drawn in black."""
    return "band-excellent" if row.band_code == "excellent" else ""


def _head(labels: list) -> Row:
    return Row([Cell(str(label), align="center") for label in labels])


def _ranking_grids(doc: ResultDocument, rows: list[RankingRow]) -> list[SafeString]:
    numbers = len(doc.groups) + len(doc.components) + 2  # and 加减分, 总分
    rank_width, unit_width, band_width = 10.0, 30.0, 12.0
    number_width = (CONTENT_WIDTH - rank_width - unit_width - band_width) / numbers
    columns = [
        Column(rank_width, "center"),
        Column(unit_width),
        *[Column(number_width, "right")] * (numbers - 1),
        Column(number_width, "right", fill=TOTAL_FILL),
        Column(band_width, "center"),
    ]
    head = _head(
        [_("排名"), _("单位")]
        + [name for _key, name in doc.groups]
        + [label for _key, label in doc.components]
        + [_("加减分"), _("总分"), _("等次")]
    )
    body = [
        Row(
            [
                "—" if r.row.rank is None else str(r.row.rank),
                Cell(r.row.name, mark=str(r.note) if r.note else ""),
                *r.group_scores,
                *r.components,
                r.bonus,
                r.total,
                Cell(r.row.band or "—", css=_band_css(r.row)),
            ],
            css="unranked" if r.row.rank is None else "",
        )
        for r in rows
    ]
    return [
        grid(
            columns,
            [Band([head], 8, 3.9, head=True), Band(body[i : i + RANKING_ROWS], 8.5, 5.4)],
            css="ranking",
        )
        for i in range(0, max(len(body), 1), RANKING_ROWS)
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
    return RankingTable(
        category=category,
        notes=notes,
        ranked=ranked,
        grids=_ranking_grids(doc, rows),
    )


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


def _facts(row: DocRow, ranked: int, total: str, review: str, share: str) -> SafeString:
    rank = _("第 %(rank)s 名 / %(n)s") % {"rank": row.rank, "n": ranked} if row.rank else "—"
    rule = _("依据：%(rule)s") % {"rule": row.band_rule} if row.band_rule else ""
    share_text = _("“好”票占比 %(share)s") % {"share": share} if share else ""
    return grid(
        [Column(CONTENT_WIDTH / 4, "center")] * 4,
        [
            Band(
                [_head([_("排名"), _("总分"), _("等次"), _("综合评议得分")])], 9.5, 5.8, head=True
            ),
            Band(
                [
                    Row(
                        [
                            rank,
                            total or "—",
                            Cell(row.band or "—", css=_band_css(row)),
                            review or "—",
                        ]
                    )
                ],
                15,
                10.0,
            ),
            Band([Row([rank_change_text(row), "", rule, share_text])], 8.5, 5.2, css="sub"),
        ],
        css="facts",
    )


def _votes(row: DocRow) -> SafeString:
    notes_column = any(not cell.has_data or cell.trimmed for cell in row.groups)
    group_width, note_width = 30.0, 40.0
    numbers = len(GRADE_COLUMNS) + 2  # and 有效票, 组得分
    number_width = (CONTENT_WIDTH - group_width - (note_width if notes_column else 0)) / numbers
    columns = [Column(group_width), *[Column(number_width, "right")] * numbers]
    labels = [_("评议组"), *[label for _grade, label in GRADE_COLUMNS], _("有效票"), _("组得分")]
    if notes_column:
        columns.append(Column(note_width))
        labels.append(_("说明"))
    body = []
    for cell in row.groups:
        counts = [str(cell.counts.get(grade, 0)) for grade, _label in GRADE_COLUMNS]
        cells = [cell.name, *counts, str(cell.votes), score_text(cell.score) or "—"]
        if notes_column:
            notes = []
            if not cell.has_data:
                notes.append(_("有效票不足，不计入"))
            if cell.trimmed:
                notes.append(_("去掉一个最高值和一个最低值"))
            cells.append(Cell(_("；").join(notes), css="note"))
        body.append(Row(cells))
    return grid(
        columns,
        [Band([_head(labels)], 9.5, 5.8, head=True), Band(body, 9.5, 5.8)],
        css="votes",
    )


def _components(doc: ResultDocument, row: DocRow, bonus: str, total: str) -> SafeString:
    rows = [
        Row([label, score_text(row.components.get(key)) or "—"]) for key, label in doc.components
    ]
    if bonus:
        rows.append(Row([_("加减分"), bonus]))
    rows.append(Row([_("总分"), total or "—"], fill=TOTAL_FILL))
    width = CONTENT_WIDTH * 0.6
    return grid(
        [Column(width * 0.6, fill=HEAD_FILL), Column(width * 0.4, "right")],
        [Band(rows, 9.5, 5.8)],
        css="components",
    )


def _card(doc: ResultDocument, category: DocCategory, ranked: int, row: DocRow) -> Card:
    share = ""
    if row.valid_votes:
        share = f"{row.good_votes * 100 / row.valid_votes:.1f}%"
    review, bonus, total = score_text(row.review), bonus_text(row.bonus), score_text(row.total)
    return Card(
        row=row,
        category=category,
        facts=_facts(row, ranked, total, review, share),
        votes=_votes(row),
        components=(
            _components(doc, row, bonus, total)
            if len(doc.components) > 1 or bool(row.bonus)
            else None
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
            "font_url": FONT_FILE.as_uri(),
            "stylesheet_url": STYLESHEET.as_uri(),
            "page_footer": css_content(_("第 %(page)s 页，共 %(pages)s 页")),
            "preview_header": css_content(doc.preview_label),
        },
    )


def render(doc: ResultDocument, *, cards: bool = True) -> bytes:
    """The 评议结果通报 of ``doc`` as PDF bytes; ``cards=False`` leaves out the per-unit report
    cards (the "ranking PDF" of docs/design.md §8)."""
    return _pdf(render_html(doc, cards=cards))


def layout(html: str) -> weasyprint.Document:
    """The laid-out pages, not yet written: the background render (scoring/tasks.py) reports
    the two steps apart, since WeasyPrint can say nothing while it lays the whole out."""
    return HTML(string=html, base_url=str(settings.BASE_DIR)).render()


def _pdf(html: str) -> bytes:
    return layout(html).write_pdf()


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
    after publication.

    The results page no longer downloads through this: its PDF is made off the request, and a
    finished job under the same :func:`download_key` is what a repeated click gets now
    (docs/results.md, "PDFs in the background"); bench/bench_results.py still times it."""
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
