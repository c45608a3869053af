"""The 表彰决定 as an A4 PDF, drawn by WeasyPrint from templates/awards/decision_pdf.html
(docs/awards.md, "The decision").

Fonts as the other PDFs of the project (scoring/exports/pdf.py): the shipped pre-subset
static/fonts/NotoSansSC-subset.otf through @font-face, with the system "Noto Sans CJK SC" as
the fallback for a character outside it (a rare character in a person's name).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core.pdf import FONT_URL, html_to_pdf

from . import selectors
from .models import Programme

TEMPLATE = "awards/decision_pdf.html"


def joined(names: list[str]) -> str:
    """甲、乙和丙: the way a title lists what it awards."""
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s和%(last)s") % {"first": "、".join(names[:-1]), "last": names[-1]}


def decision_title(programmes: list[Programme]) -> str:
    """关于表彰2017年度综合目标管理优秀单位、先进单位和先进个人的决定."""
    year = programmes[0].year if programmes else ""
    return _("关于表彰%(year)s年度%(names)s的决定") % {
        "year": year,
        "names": joined([p.name for p in programmes]),
    }


def render_html(programme: Programme) -> str:
    programmes = selectors.decision_programmes(programme)
    if not programmes:
        raise ValueError(f"programme {programme.pk} has no decision")
    first = programmes[0]
    return render_to_string(
        TEMPLATE,
        {
            "title": decision_title(programmes),
            "decision": first,
            "lists": selectors.final_lists(programmes),
            "paragraphs": [p.strip() for p in first.decision_body.splitlines() if p.strip()],
            "font_url": FONT_URL,
        },
    )


def decision_pdf(programme: Programme) -> bytes:
    """The decided ``programme``'s 表彰决定, listing every programme under the same 文号."""
    return html_to_pdf(render_html(programme))
