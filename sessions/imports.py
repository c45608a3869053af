"""Import a session workbook (docs/design.md §5): a new draft session, or units, rater groups
and raters into an existing draft. All or nothing: any problem leaves the database unchanged.

The workbook arrives already parsed (sessions/workbook.py), so every cell is valid on its own;
what is checked here is how it fits the session it goes into.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from core.audit import audit
from org.models import OrgUnit

from . import template_services
from .credentials import MAX_PER_CALL, credentials_generate
from .guards import ANONYMOUS_MIN_SAMPLE, lock_session, require_draft
from .models import Participant, RaterGroup, ReviewSession, Unit, UnitCategory
from .services import session_create
from .unit_services import speaking_order_invalidate, unit_org_link
from .workbook import (
    COL_CATEGORY,
    COL_GROUP,
    COL_MIN_SAMPLE,
    COL_SPEAKING_ORDER,
    SHEET_GROUPS,
    SHEET_RATERS,
    SHEET_UNITS,
    Problem,
    SessionWorkbook,
    WorkbookError,
    normalise_text,
)

Side = UnitCategory.Side


@dataclass(frozen=True)
class ImportSummary:
    categories_created: int = 0
    units_created: int = 0
    units_existing: int = 0
    participants_added: int = 0
    groups_created: int = 0
    groups_updated: int = 0
    credentials_created: int = 0

    def __str__(self) -> str:
        return _(
            "新增单位类别 %(categories)s 个、单位 %(units)s 个（已有 %(existing)s 个）、"
            "述职单位 %(participants)s 个、评议组 %(groups)s 个（更新权重 %(updated)s 个）、"
            "评议码 %(credentials)s 个"
        ) % {
            "categories": self.categories_created,
            "units": self.units_created,
            "existing": self.units_existing,
            "participants": self.participants_added,
            "groups": self.groups_created,
            "updated": self.groups_updated,
            "credentials": self.credentials_created,
        }


def category_side(district, name: str, templates=None) -> str:
    """Which side of 交叉评议 (section 4.2) a category named in a workbook is on, from what
    the district already knows, never from the words in the name: a category of that name in
    its session templates (``templates``, read once per import), else the kind most of its
    units ranked in that category have; else 其他, which staff change on the units page."""
    if templates is None:
        templates = template_services.templates_of(district)
    for template in templates:
        for category in template.categories:
            if category["name"] == name:
                return category["side"]
    kinds = Counter(
        OrgUnit.objects.filter(district=district, category=name).values_list("kind", flat=True)
    )
    return kinds.most_common(1)[0][0] if kinds else Side.OTHER


@transaction.atomic
def session_create_from_workbook(
    *, workbook: SessionWorkbook, actor, district=None
) -> ReviewSession:
    """A new draft session with the default scheme, holding everything in ``workbook``."""
    meta = workbook.meta
    if meta is None:
        raise ValidationError(_("工作簿缺少“会议”工作表，无法新建评议会。"))
    session = session_create(
        kind=meta.kind,
        year=meta.year,
        title=meta.title,
        date=meta.date,
        venue=meta.venue,
        actor=actor,
        with_preset=False,
        district=district,
    )
    _import(session=session, workbook=workbook, actor=actor)
    return session


@transaction.atomic
def session_import_into(
    *, session: ReviewSession, workbook: SessionWorkbook, actor, add_codes: bool = False
) -> ImportSummary:
    """Add the units, rater groups and raters of ``workbook`` to a draft session. A unit that
    exists already must keep its category; a group that exists already takes the new weight.
    Raters for a group that has codes already are refused unless ``add_codes``: importing the
    same file twice must not double the codes without a word."""
    session = lock_session(session)
    require_draft(session)
    return _import(session=session, workbook=workbook, actor=actor, add_codes=add_codes)


def _import(
    *, session: ReviewSession, workbook: SessionWorkbook, actor, add_codes: bool = False
) -> ImportSummary:
    # Names stored before the reader normalised them (say 镇（街道） typed on a page) are the
    # same names as the workbook's normalised ones (docs/workbooks.md, "Text normalisation").
    categories = {normalise_text(c.name): c for c in session.categories.all()}
    units = {normalise_text(u.name): u for u in session.units.select_related("category")}
    groups = {normalise_text(g.name): g for g in session.rater_groups.all()}

    clashes = [
        Problem(
            _(
                "单位“%(name)s”已在本评议会中，类别为“%(old)s”，与此处的“%(new)s”不一致。"
                "请改为一致，或先在单位页修改该单位的类别。"
            )
            % {"name": row.name, "old": units[row.name].category.name, "new": row.category},
            SHEET_UNITS,
            row.row,
            COL_CATEGORY,
        )
        for row in workbook.units
        if row.name in units and normalise_text(units[row.name].category.name) != row.category
    ]
    clashes += _order_clashes(session, workbook)
    if not add_codes:
        clashes += _code_clashes(session, workbook)
    if session.scheme.anonymous:
        # Fewer votes than this would let a unit's group score show one rater's grade
        # (docs/anonymity.md, "minimum sample").
        clashes += [
            Problem(
                _("匿名评议的最少有效票数不能少于 %(min)s。") % {"min": ANONYMOUS_MIN_SAMPLE},
                SHEET_GROUPS,
                row.row,
                COL_MIN_SAMPLE,
            )
            for row in workbook.groups
            if row.min_sample is not None and row.min_sample < ANONYMOUS_MIN_SAMPLE
        ]
    if clashes:
        raise WorkbookError(clashes)

    # The district's templates name the side of a new category and the flags of a new group:
    # read once, when the first of them is met.
    templates = functools.cache(lambda: template_services.templates_of(session.district))
    new_categories = []
    order = max((c.order for c in categories.values()), default=-1) + 1
    for row in workbook.units:
        if row.category not in categories:
            categories[row.category] = UnitCategory.objects.create(
                session=session,
                name=row.category,
                side=category_side(session.district, row.category, templates()),
                order=order,
            )
            new_categories.append(row.category)
            order += 1

    new_units, existing_units, new_participants = [], [], []
    participating = set(session.participants.values_list("unit_id", flat=True))
    for row in workbook.units:
        unit = units.get(row.name)
        if unit is None:
            unit = Unit(session=session, name=row.name, category=categories[row.category])
            unit_org_link(unit)
            unit.save()
            units[row.name] = unit
            new_units.append(row.name)
        else:
            existing_units.append(row.name)
        # Section 5: every unit listed takes part.
        if unit.pk not in participating:
            Participant.objects.create(session=session, unit=unit, how=Participant.How.FIXED)
            participating.add(unit.pk)
            new_participants.append(row.name)

    if new_participants:
        speaking_order_invalidate(session)
    speaking_order = {row.name: row.speaking_order for row in workbook.units if row.speaking_order}
    if speaking_order:
        # The workbook gives the whole order (sessions/workbook.py checks 1..n over its units,
        # _order_clashes that they are every participant): it replaces any drawn order.
        speaking_order_invalidate(session)
        for name, position in speaking_order.items():
            session.participants.filter(unit=units[name]).update(speaking_order=position)

    new_groups, updated_groups = [], {}
    order = max((g.order for g in groups.values()), default=-1) + 1
    # One leaders' group a session (a database constraint): the first the session has or the
    # workbook brings keeps the flag.
    leaders_taken = any(g.is_leaders for g in groups.values())
    for row in workbook.groups:
        group = groups.get(row.name)
        if group is None:
            defaults = template_services.group_defaults(session.district, row.name, templates())
            defaults["is_leaders"] = defaults["is_leaders"] and not leaders_taken
            leaders_taken = leaders_taken or defaults["is_leaders"]
            groups[row.name] = RaterGroup.objects.create(
                session=session,
                name=row.name,
                weight=row.weight,
                min_sample=row.min_sample or session.scheme.default_min_sample,
                order=order,
                **defaults,
            )
            new_groups.append(row.name)
            order += 1
            continue
        before = (group.weight, group.min_sample)
        group.weight = row.weight
        if row.min_sample is not None:
            group.min_sample = row.min_sample
        if (group.weight, group.min_sample) != before:
            group.save(update_fields=["weight", "min_sample"])
            updated_groups[row.name] = {
                "weight": [before[0], group.weight],
                "min_sample": [before[1], group.min_sample],
            }

    issued = 0
    for (group_name, unit_name), (count, names) in _credential_batches(workbook).items():
        group, holder_unit = groups[group_name], units[unit_name] if unit_name else None
        for start in range(0, len(names), MAX_PER_CALL):
            chunk = names[start : start + MAX_PER_CALL]
            issued += len(
                credentials_generate(
                    session=session,
                    group=group,
                    actor=actor,
                    holder_names=chunk,
                    holder_unit=holder_unit,
                )
            )
        while count:
            n = min(count, MAX_PER_CALL)
            issued += len(
                credentials_generate(
                    session=session, group=group, actor=actor, count=n, holder_unit=holder_unit
                )
            )
            count -= n

    summary = ImportSummary(
        categories_created=len(new_categories),
        units_created=len(new_units),
        units_existing=len(existing_units),
        participants_added=len(new_participants),
        groups_created=len(new_groups),
        groups_updated=len(updated_groups),
        credentials_created=issued,
    )
    message = _("从 Excel 导入：%(summary)s") % {"summary": summary}
    if speaking_order:
        message += _("；发言顺序按工作簿：%(order)s") % {
            "order": "、".join(sorted(speaking_order, key=speaking_order.get))
        }
    audit(
        session=session,
        actor=actor,
        action="session.import",
        message=message,
        categories=new_categories,
        units=new_units,
        participants=new_participants,
        groups=new_groups,
        groups_updated=updated_groups,
        credentials=issued,
        speaking_order=speaking_order,
        speaking_order_source="workbook" if speaking_order else "",
        add_codes=add_codes,
    )
    return summary


def _order_clashes(session: ReviewSession, workbook: SessionWorkbook) -> list[Problem]:
    """A 发言顺序 column orders every participant or none: participants the workbook does not
    list would be left without a place."""
    if not any(row.speaking_order for row in workbook.units):
        return []
    listed = {row.name for row in workbook.units}
    left_out = [
        name
        for name in session.participants.values_list("unit__name", flat=True)
        if normalise_text(name) not in listed
    ]
    if not left_out:
        return []
    return [
        Problem(
            _(
                "给出了发言顺序，但本评议会还有述职单位不在此表中：%(names)s。发言顺序须一次排定"
                "全部述职单位：请把它们加入此表，或删去“发言顺序”列后抽签。"
            )
            % {"names": "、".join(left_out)},
            SHEET_UNITS,
            None,
            COL_SPEAKING_ORDER,
        )
    ]


def _code_clashes(session: ReviewSession, workbook: SessionWorkbook) -> list[Problem]:
    """Rows of 评议人 for groups that have codes already: one problem per group, at its first
    row, saying how many there are and how many more the import would issue."""
    if not workbook.raters:
        return []
    existing: dict[str, int] = {}
    for name, count in (
        session.credentials.values_list("group__name").annotate(n=Count("id")).order_by()
    ):
        existing[normalise_text(name)] = existing.get(normalise_text(name), 0) + count
    first_rows: dict[str, int] = {}
    more: dict[str, int] = {}
    for row in workbook.raters:
        if row.group in existing:
            first_rows.setdefault(row.group, row.row)
            more[row.group] = more.get(row.group, 0) + row.count
    return [
        Problem(
            _(
                "评议组“%(group)s”已有 %(n)s 个评议码，再导入会另外生成 %(more)s 个。"
                "若确要追加，请勾选“追加评议码”后重新导入。"
            )
            % {"group": group, "n": existing[group], "more": more[group]},
            SHEET_RATERS,
            row,
            COL_GROUP,
        )
        for group, row in first_rows.items()
    ]


def _credential_batches(workbook: SessionWorkbook) -> dict[tuple[str, str | None], tuple]:
    """Rows of 评议人 merged per (group, unit), first-seen order: (anonymous count, names).
    Fewer calls mean fewer credential.generate audit entries for one import."""
    batches: dict[tuple[str, str | None], tuple[int, list[str]]] = {}
    for row in workbook.raters:
        count, names = batches.get((row.group, row.unit), (0, []))
        if row.names:
            names = [*names, *row.names]
        else:
            count += row.count
        batches[(row.group, row.unit)] = (count, names)
    return batches
