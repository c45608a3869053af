"""The result as files people take away: ``xlsx.render(doc)`` and ``pdf.render(doc)``.

Both read one :class:`scoring.document.ResultDocument` (pretix's exporter pattern: one row
generator, every format), so the workbook, the PDF and the results page cannot disagree. The
browser downloads and ``python manage.py export_results`` call the same two functions.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from scoring.document import ResultDocument
from sessions.presets import year_prefixed


def report_title(doc: ResultDocument) -> str:
    """``<年度><评议会名称>评议结果通报``. Titles usually start with their year already
    ("2026年度述职评议"), so the year is only added when it is not there, and a title ending in
    评议 is not followed by a second 评议."""
    session = doc.session
    title = session.title.strip()
    if title.startswith("年"):
        # "年度综合考核…" and "年中述职…" already say which part of the year: only the year is
        # put before them, the same way as sessions.presets.year_prefixed composes titles.
        title = year_prefixed(title, session.year)
    elif not title.startswith(str(session.year)):
        title = _("%(year)s年度%(title)s") % {"year": session.year, "title": title}
    if title.endswith("评议"):
        return _("%(title)s结果通报") % {"title": title}
    return _("%(title)s评议结果通报") % {"title": title}


def score_text(value: Decimal | None) -> str:
    """A score as printed: always 2 decimals (the engine's rounding, section 4.7), blank for
    none."""
    return "" if value is None else f"{value:.2f}"


def bonus_text(value: Decimal | None) -> str:
    """加减分 with its sign, so that +2.00 and −1.50 read as adjustments."""
    if value is None:
        return ""
    return f"{value:+.2f}" if value else "0.00"


def download_name(doc: ResultDocument, extension: str) -> str:
    """A file name that says what the file is: ``<slug>-评议结果[-预览].<ext>``."""
    status = _("预览") if doc.preview else _("第%(n)s版") % {"n": doc.snapshot.number}
    return f"{doc.session.slug}-{_('评议结果')}-{status}.{extension}"
