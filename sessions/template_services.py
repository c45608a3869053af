"""A district's session templates: read, edit, and what a new session takes from them
(docs/design.md, "District").

A template is edited as two short texts, one line per category or rater group, the fields
separated by "|" (or the full-width "｜"), because that is how an organiser already writes them
in a notice:

    镇(街道) | 镇(街道)                      名称 | 交叉评议归属
    县级领导 | 40 | 其他 | 否 | 是            名称 | 权重 | 交叉评议归属 | 可问政 | 县级领导组

Every wrong line is named with what is wrong, and nothing is saved until all are right.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from org.models import District

from .models import ReviewSession, SessionTemplate, UnitCategory
from .presets import PRESETS, asks_by_default, leads_by_default

YES, NO = ("是", "yes", "y", "1", "√", "✓"), ("否", "no", "n", "0", "", "×")


def _preset_data(kind: str) -> dict:
    preset = PRESETS[ReviewSession.Kind(kind)]
    return {
        "title": preset.title,
        "categories": [{"name": name, "side": side} for name, side in preset.categories],
        "groups": [
            {
                "name": name,
                "weight": str(weight),
                "side": side,
                "can_ask": asks_by_default(name),
                "is_leaders": leads_by_default(name),
            }
            for name, weight, side in preset.groups
        ],
    }


def template_for(district: District, kind: str) -> SessionTemplate:
    """The district's template of ``kind``, made from the built-in preset on first use."""
    template, _created = SessionTemplate.objects.get_or_create(
        district=district, kind=kind, defaults=_preset_data(kind)
    )
    return template


def templates_of(district: District) -> list[SessionTemplate]:
    return [template_for(district, kind) for kind in ReviewSession.Kind.values]


def group_defaults(district: District, name: str, templates=None) -> dict:
    """What a rater group a workbook names starts as: the side, 可问政 and 县级领导组 of the
    group of that name in the district's templates; for a name no template has, the side 其他
    and the built-in defaults (which know only the standard names). An import naming several
    groups reads ``templates`` (``templates_of(district)``) once and passes them."""
    for template in templates if templates is not None else templates_of(district):
        for group in template.groups:
            if group["name"] == name:
                return {k: group[k] for k in ("side", "can_ask", "is_leaders")}
    return {
        "side": UnitCategory.Side.OTHER.value,
        "can_ask": asks_by_default(name),
        "is_leaders": leads_by_default(name),
    }


# ---------------------------------------------------------------- the texts an organiser edits


def _side_label(side: str) -> str:
    return str(UnitCategory.Side(side).label)


def _side(text: str) -> str | None:
    for side in UnitCategory.Side:
        if text in (side.value, str(side.label)):
            return side.value
    return {"镇街": "town", "乡镇": "town", "街道": "town"}.get(text)


def _flag(text: str) -> bool | None:
    lowered = text.lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    return None


def categories_text(template: SessionTemplate) -> str:
    return "\n".join(f"{c['name']} | {_side_label(c['side'])}" for c in template.categories)


def groups_text(template: SessionTemplate) -> str:
    def yes_no(value: bool) -> str:
        return _("是") if value else _("否")

    return "\n".join(
        f"{g['name']} | {g['weight']} | {_side_label(g['side'])} | {yes_no(g['can_ask'])} | "
        f"{yes_no(g['is_leaders'])}"
        for g in template.groups
    )


def _fields(line: str) -> list[str]:
    # A Chinese keyboard types the full-width bar; both separate fields.
    return [field.strip() for field in line.replace("｜", "|").split("|")]


def _lines(text: str) -> list[tuple[int, str]]:
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def parse_categories(text: str) -> tuple[list[dict], list[str]]:
    found, problems, seen = [], [], set()
    for n, line in _lines(text):
        fields = _fields(line)
        name = fields[0]
        side = _side(fields[1]) if len(fields) > 1 else UnitCategory.Side.OTHER.value
        where = _("单位类别第 %(n)s 行“%(line)s”") % {"n": n, "line": line}
        if len(fields) > 2 or not name or side is None:
            problems.append(_("%(where)s：应为“名称 | 镇(街道)、部门或其他”。") % {"where": where})
        elif name in seen:
            problems.append(_("%(where)s：类别“%(name)s”重复。") % {"where": where, "name": name})
        else:
            seen.add(name)
            found.append({"name": name, "side": side})
    return found, problems


def parse_groups(text: str) -> tuple[list[dict], list[str]]:
    found, problems, seen = [], [], set()
    for n, line in _lines(text):
        fields = _fields(line)
        name, weight_text, side_text, ask_text, leaders_text = (fields + [""] * 4)[:5]
        where = _("评议组第 %(n)s 行“%(line)s”") % {"n": n, "line": line}
        try:
            weight = Decimal(weight_text)
        except InvalidOperation:
            weight = None
        side = _side(side_text) if side_text else UnitCategory.Side.OTHER.value
        can_ask, is_leaders = _flag(ask_text), _flag(leaders_text)
        if (
            len(fields) > 5
            or not name
            or weight is None
            or not weight.is_finite()
            or weight < 0
            or side is None
            or can_ask is None
            or is_leaders is None
        ):
            problems.append(
                _(
                    "%(where)s：应为“名称 | 权重（不小于 0 的数） | 镇(街道)、部门或其他 | "
                    "可问政（是/否） | 县级领导组（是/否）”。"
                )
                % {"where": where}
            )
        elif name in seen:
            problems.append(_("%(where)s：评议组“%(name)s”重复。") % {"where": where, "name": name})
        else:
            seen.add(name)
            found.append(
                {
                    "name": name,
                    "weight": _number(weight),
                    "side": side,
                    "can_ask": can_ask,
                    "is_leaders": is_leaders,
                }
            )
    if sum(1 for g in found if g["is_leaders"]) > 1:
        problems.append(_("评议组：至多一个县级领导组（同分时比较的评议组）。"))
    return found, problems


def _number(value: Decimal) -> str:
    """40, 12.5: as typed, without trailing zeros or an exponent."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@transaction.atomic
def template_update(
    *, template: SessionTemplate, actor, title: str, categories: str, groups: str
) -> SessionTemplate:
    """Save the template from the texts of its page, or change nothing and say every problem."""
    title = " ".join((title or "").split())
    category_list, problems = parse_categories(categories)
    group_list, group_problems = parse_groups(groups)
    problems += group_problems
    if not title:
        problems.insert(0, _("模板名称不能为空。"))
    if problems:
        raise ValidationError(problems)
    template.title = title
    template.categories = category_list
    template.groups = group_list
    template.updated_by = actor if getattr(actor, "pk", None) else None
    template.save()
    return template
