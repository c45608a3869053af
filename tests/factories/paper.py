"""Paper ballot workbooks and the small session they are entered into (sessions/paper.py,
docs/design.md §4.9): two towns and two departments, three rater groups."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook

from sessions.models import ReviewSession, UnitCategory
from tests.factories import (
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
)

Status = ReviewSession.Status
HEADER = ["票号", "评议组", "所在单位", "城关镇", "区财政局", "滨河街道", "区教育局"]
ROWS = [
    ["P001", "县级领导", None, "好", "较好", "一般", "差"],
    ["P002", "区直部门", "区财政局", "好", "好", " 较 好 ", None],
    ["P003", "镇(街道)", "区档案馆", "弃权", None, "好", "一般"],
]


def ballot_bytes(rows=None, *, header=HEADER, sheet="评议票") -> bytes:
    """An .xlsx whose sheet ``sheet`` holds ``header`` then ``rows``; None is a blank cell."""
    book = Workbook()
    worksheet = book.active
    worksheet.title = sheet
    for r, row in enumerate([header, *(ROWS if rows is None else rows)], start=1):
        for c, value in enumerate(row, start=1):
            worksheet.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def make_session(*, status=Status.RATING, **scheme) -> ReviewSession:
    """Two towns and two departments take part, in speaking order 城关镇, 区财政局, 滨河街道,
    区教育局; 区档案馆 is a unit of the session that does not take part."""
    session = ReviewSessionFactory(slug="2026-paper", title="2026年年中述职讲评", status=status)
    for name, value in scheme.items():
        setattr(session.scheme, name, value)
    session.scheme.save()
    towns = UnitCategoryFactory(session=session, name="镇(街道)", side=UnitCategory.Side.TOWN)
    departments = UnitCategoryFactory(
        session=session, name="政府部门", side=UnitCategory.Side.DEPARTMENT, order=1
    )
    for order, (name, category) in enumerate(
        [
            ("城关镇", towns),
            ("区财政局", departments),
            ("滨河街道", towns),
            ("区教育局", departments),
        ],
        start=1,
    ):
        unit = UnitFactory(session=session, name=name, category=category)
        ParticipantFactory(session=session, unit=unit, speaking_order=order)
    UnitFactory(session=session, name="区档案馆", category=departments)
    RaterGroupFactory(session=session, name="县级领导", weight=Decimal("40"))
    RaterGroupFactory(session=session, name="区直部门", side=UnitCategory.Side.DEPARTMENT)
    RaterGroupFactory(session=session, name="镇(街道)", side=UnitCategory.Side.TOWN)
    return session
