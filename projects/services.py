"""Every write of 重点项目 (HackSoft style: keyword-only, typed, atomic, ValidationError with a
message a person can act on). Each takes the session's row lock first (lock_session), so an
import, a recolour and a manual colour never interleave, and each writes an audit entry.

Colours (projects/rules.py decides them):

- a project's colour is set by the rule unless a person set it by hand; a manual colour stays
  until it is cleared on the project page (with a reason), and neither a recolour nor a
  re-import with a blank 颜色 touches it;
- every change of colour is one ColourChange row, the first (at import) included;
- the board's colours are all read at one date, ``ProjectRule.as_of``: set by an import or a
  recolour, and used when an update or a cleared manual colour recomputes one project.

Re-importing a workbook updates the projects whose 项目编号 already exists (name, unit,
category, progress, 停滞, milestones replaced, or kept when the file has no 时间节点: a .csv)
and keeps their updates and colour history; projects the file does not list are left as they
are.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.colours import Colour
from sessions.guards import lock_session
from sessions.models import ReviewSession
from sessions.workbook import Problem, WorkbookError

from . import rules
from .models import ColourChange, KeyProject, Milestone, ProjectRule, ProjectUpdate
from .workbook import COL_UNIT, SHEET_PROJECTS, ProjectRow

REASON_MAX = 500
ZERO, HUNDRED = Decimal("0"), Decimal("100")


# ---------------------------------------------------------------- the rule


def rule_for(session: ReviewSession) -> ProjectRule:
    """The session's ProjectRule, created with the defaults on first use."""
    rule = ProjectRule.objects.filter(session=session).first()
    if rule is None:
        with transaction.atomic():
            rule, _created = ProjectRule.objects.get_or_create(session=session)
    return rule


def board_date(rule: ProjectRule) -> datetime.date:
    """The date the board's colours are read at: the last import's or recolour's, else today."""
    return rule.as_of or timezone.localdate()


def board_date_of(session: ReviewSession) -> datetime.date:
    """``board_date`` without creating the rule (the big screen reads it often). One query."""
    as_of = ProjectRule.objects.filter(session=session).values_list("as_of", flat=True).first()
    return as_of or timezone.localdate()


def thresholds_of(rule: ProjectRule) -> rules.Thresholds:
    return rules.Thresholds(yellow_behind=rule.yellow_behind, red_behind=rule.red_behind)


def facts_of(milestones) -> list[rules.MilestoneFacts]:
    return [
        rules.MilestoneFacts(
            planned_date=m.planned_date, planned_progress=m.planned_progress, done_on=m.done_on
        )
        for m in milestones
    ]


def project_verdict(
    project: KeyProject, milestones, rule: ProjectRule, as_of: datetime.date
) -> rules.Verdict:
    return rules.verdict(
        milestones=facts_of(milestones),
        actual=project.actual_progress,
        stalled=project.stalled,
        as_of=as_of,
        thresholds=thresholds_of(rule),
    )


def _points(value: Decimal) -> str:
    """A number of percentage points as people write it: 12.5, 30, never 30.00."""
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def verdict_words(verdict: rules.Verdict, rule: ProjectRule, as_of: datetime.date) -> str:
    """Why the rule chose this colour, in one sentence for the colour history."""
    numbers = _("截至 %(date)s 计划 %(planned)s%%，实际 %(actual)s%%") % {
        "date": as_of.isoformat(),
        "planned": _points(verdict.planned),
        "actual": _points(verdict.planned - verdict.behind),
    }
    if verdict.stalled:
        why = _("项目停滞")
    elif verdict.colour == rules.RED:
        why = _("落后 %(behind)s 个百分点，超过红色阈值 %(limit)s") % {
            "behind": _points(verdict.behind),
            "limit": _points(rule.red_behind),
        }
    elif verdict.colour == rules.YELLOW:
        why = _("落后 %(behind)s 个百分点，超过黄色阈值 %(limit)s") % {
            "behind": _points(verdict.behind),
            "limit": _points(rule.yellow_behind),
        }
    elif verdict.colour == rules.BLUE:
        why = _("%(n)s 个时间节点逾期未完成") % {"n": verdict.missed}
    else:
        why = _("按计划推进")
    return _("按规则：%(numbers)s，%(why)s。") % {"numbers": numbers, "why": why}


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写原因。"))
    if len(reason) > REASON_MAX:
        raise ValidationError(_("原因不能超过 %(max)s 个字符。") % {"max": REASON_MAX})
    return reason


def _change(
    project: KeyProject,
    *,
    before: str,
    by_rule: bool,
    reason: str,
    actor,
    as_of: datetime.date | None,
) -> ColourChange:
    """An unsaved ColourChange from ``before`` to the project's colour now."""
    return ColourChange(
        project=project,
        from_colour=before,
        to_colour=project.colour,
        by_rule=by_rule,
        reason=reason[:REASON_MAX],
        as_of=as_of,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", None) or "system",
    )


def _counts(session: ReviewSession) -> dict[str, int]:
    counted = Counter(KeyProject.objects.filter(session=session).values_list("colour", flat=True))
    return {colour: counted.get(colour, 0) for colour in Colour.values}


def counts_in_words(counts: dict[str, int]) -> str:
    """绿 71 / 蓝 28 / 黄 18 / 红 12 (the line docs/projects.md and the commands print)."""
    return " / ".join(f"{Colour(c).label} {counts[c]}" for c in Colour.values)


# ---------------------------------------------------------------- the import


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    milestones: int
    colour_changes: int
    as_of: datetime.date
    counts: dict[str, int]  # every project of the session, per colour, after the import

    def __str__(self) -> str:
        return _(
            "导入重点项目：新增 %(created)s 个，更新 %(updated)s 个，时间节点 %(milestones)s 个；"
            "颜色按 %(date)s 计算：%(counts)s"
        ) % {
            "created": self.created,
            "updated": self.updated,
            "milestones": self.milestones,
            "date": self.as_of.isoformat(),
            "counts": counts_in_words(self.counts),
        }


@transaction.atomic
def projects_import(
    *,
    session: ReviewSession,
    actor,
    rows: list[ProjectRow],
    as_of: datetime.date | None = None,
) -> ImportSummary:
    """Store parsed rows (projects/workbook.py), all or nothing. New projects get their first
    colour (by hand from 颜色, else by rule as of ``as_of``: by default the board's date) and a
    ColourChange for it; existing ones are updated as the module docstring says."""
    session = lock_session(session)
    if not rows:
        raise ValidationError(_("没有任何项目：请从第二行起每行填写一个项目。"))
    units = {unit.name: unit for unit in session.units.all()}
    missing = [
        Problem(
            _("单位“%(name)s”不在本评议会中。") % {"name": r.unit}, SHEET_PROJECTS, r.row, COL_UNIT
        )
        for r in rows
        if r.unit not in units
    ]
    if missing:
        raise WorkbookError(missing)
    rule = rule_for(session)
    as_of = as_of or board_date(rule)
    existing = {p.code: p for p in KeyProject.objects.filter(session=session)}
    row_of = {r.code: r for r in rows}
    now = timezone.now()
    new, changed, changes = [], [], []
    for r in rows:
        project = existing.get(r.code) or KeyProject(session=session, code=r.code, colour="")
        project.name, project.unit, project.category = r.name, units[r.unit], r.category
        project.actual_progress, project.stalled = r.actual, r.stalled
        project.updated_at = now
        (changed if project.pk else new).append(project)
    KeyProject.objects.bulk_create(new)
    KeyProject.objects.bulk_update(
        changed, ["name", "unit", "category", "actual_progress", "stalled", "updated_at"]
    )
    # A file without 时间节点 (a .csv holds one sheet) leaves the stored milestones as they are.
    kept = [p for p in changed if row_of[p.code].milestones is None]
    Milestone.objects.filter(project__in=[p for p in changed if p not in kept]).delete()
    milestones = Milestone.objects.bulk_create(
        Milestone(
            project=project,
            order=order,
            name=m.name,
            planned_date=m.planned_date,
            planned_progress=m.planned_progress,
            done_on=m.done_on,
        )
        for project in [*new, *changed]
        for order, m in enumerate(row_of[project.code].milestones or (), start=1)
    )
    by_project: dict[int, list[Milestone]] = {}
    for m in [*milestones, *Milestone.objects.filter(project__in=kept).order_by("order")]:
        by_project.setdefault(m.project_id, []).append(m)
    recoloured = []
    for project in [*new, *changed]:
        r, before = row_of[project.code], project.colour
        if r.colour is not None:
            if before == r.colour and project.is_manual:
                continue
            project.colour, project.colour_set_by = r.colour, KeyProject.SetBy.MANUAL
            reason = _("导入工作簿：颜色列为“%(label)s”。") % {"label": Colour(r.colour).label}
            changes.append(
                _change(
                    project, before=before, by_rule=False, reason=reason, actor=actor, as_of=None
                )
            )
        elif project.is_manual:
            continue  # a manual colour is cleared on the project page only
        else:
            verdict = project_verdict(project, by_project.get(project.pk, []), rule, as_of)
            if verdict.colour == before:
                continue
            project.colour = verdict.colour
            changes.append(
                _change(
                    project,
                    before=before,
                    by_rule=True,
                    reason=verdict_words(verdict, rule, as_of),
                    actor=actor,
                    as_of=as_of,
                )
            )
        recoloured.append(project)
    KeyProject.objects.bulk_update(recoloured, ["colour", "colour_set_by"])
    ColourChange.objects.bulk_create(changes)
    rule.as_of = as_of
    rule.save(update_fields=["as_of", "updated_at"])
    summary = ImportSummary(
        created=len(new),
        updated=len(changed),
        milestones=len(milestones),
        colour_changes=len(changes),
        as_of=as_of,
        counts=_counts(session),
    )
    audit(
        session=session,
        actor=actor,
        action="projects.import",
        message=str(summary),
        created=summary.created,
        updated=summary.updated,
        counts=summary.counts,
    )
    return summary


# ---------------------------------------------------------------- recolour


@dataclass(frozen=True)
class RecolourPlan:
    """What a recolour as of ``as_of`` would do: the colours after it and the projects whose
    colour changes (manual colours are kept and counted as they are)."""

    as_of: datetime.date
    counts: dict[str, int]
    changes: list[tuple[KeyProject, rules.Verdict]]
    manual: int

    @property
    def changed(self) -> int:
        return len(self.changes)


def recolour_plan(session: ReviewSession, as_of: datetime.date) -> RecolourPlan:
    """Nothing is written; two queries (the projects, their milestones)."""
    rule = rule_for(session)
    counts = dict.fromkeys(Colour.values, 0)
    changes, manual = [], 0
    for project in KeyProject.objects.filter(session=session).prefetch_related("milestones"):
        colour = project.colour
        if project.is_manual:
            manual += 1
        else:
            verdict = project_verdict(project, project.milestones.all(), rule, as_of)
            if verdict.colour != project.colour:
                changes.append((project, verdict))
            colour = verdict.colour
        counts[colour] += 1
    return RecolourPlan(as_of=as_of, counts=counts, changes=changes, manual=manual)


@transaction.atomic
def projects_recolour(*, session: ReviewSession, actor, as_of: datetime.date) -> RecolourPlan:
    """Apply the rule as of ``as_of`` to every project not coloured by hand, record each change,
    and make ``as_of`` the board's date."""
    session = lock_session(session)
    rule = rule_for(session)
    plan = recolour_plan(session, as_of)
    now = timezone.now()
    changes = []
    for project, verdict in plan.changes:
        before, project.colour, project.updated_at = project.colour, verdict.colour, now
        changes.append(
            _change(
                project,
                before=before,
                by_rule=True,
                reason=verdict_words(verdict, rule, as_of),
                actor=actor,
                as_of=as_of,
            )
        )
    KeyProject.objects.bulk_update([p for p, _v in plan.changes], ["colour", "updated_at"])
    ColourChange.objects.bulk_create(changes)
    rule.as_of = as_of
    rule.save(update_fields=["as_of", "updated_at"])
    audit(
        session=session,
        actor=actor,
        action="projects.recolour",
        message=_("按规则重新计算重点项目颜色（截至 %(date)s）：%(n)s 个项目变色；%(counts)s")
        % {"date": as_of.isoformat(), "n": plan.changed, "counts": counts_in_words(plan.counts)},
        as_of=as_of,
        counts=plan.counts,
        changed=[p.code for p, _v in plan.changes],
    )
    return plan


# ---------------------------------------------------------------- one project


def _locked_project(project: KeyProject) -> KeyProject:
    lock_session(project.session)
    return KeyProject.objects.select_related("session", "unit").get(pk=project.pk)


@transaction.atomic
def project_colour_set(*, project: KeyProject, colour: str, reason: str, actor) -> KeyProject:
    """A colour set by hand; it stays until cleared (a recolour leaves it alone)."""
    if colour not in Colour.values:
        raise ValidationError(_("请选择绿、蓝、黄或红。"))
    reason = _clean_reason(reason)
    project = _locked_project(project)
    before = project.colour
    project.colour, project.colour_set_by = colour, KeyProject.SetBy.MANUAL
    project.save(update_fields=["colour", "colour_set_by", "updated_at"])
    _change(
        project,
        before=before,
        by_rule=False,
        reason=_("手动设为“%(label)s”：%(reason)s")
        % {"label": Colour(colour).label, "reason": reason},
        actor=actor,
        as_of=None,
    ).save()
    audit(
        session=project.session,
        actor=actor,
        action="projects.colour_set",
        message=_("重点项目 %(code)s 手动设为“%(label)s”：%(reason)s")
        % {"code": project.code, "label": Colour(colour).label, "reason": reason},
        project=project.code,
        before=before,
        after=colour,
    )
    return project


@transaction.atomic
def project_colour_clear(*, project: KeyProject, reason: str, actor) -> KeyProject:
    """Back to the rule: the colour is computed at once, as of the board's date."""
    reason = _clean_reason(reason)
    project = _locked_project(project)
    if not project.is_manual:
        raise ValidationError(_("该项目的颜色本来就是按规则计算的。"))
    rule = rule_for(project.session)
    as_of = board_date(rule)
    verdict = project_verdict(project, project.milestones.all(), rule, as_of)
    before = project.colour
    project.colour, project.colour_set_by = verdict.colour, KeyProject.SetBy.RULE
    project.save(update_fields=["colour", "colour_set_by", "updated_at"])
    _change(
        project,
        before=before,
        by_rule=True,
        reason=_("取消手动颜色（%(reason)s）。%(why)s")
        % {"reason": reason, "why": verdict_words(verdict, rule, as_of)},
        actor=actor,
        as_of=as_of,
    ).save()
    audit(
        session=project.session,
        actor=actor,
        action="projects.colour_clear",
        message=_("重点项目 %(code)s 取消手动颜色，按规则为“%(label)s”：%(reason)s")
        % {"code": project.code, "label": Colour(verdict.colour).label, "reason": reason},
        project=project.code,
        before=before,
        after=verdict.colour,
    )
    return project


def _recolour_one(project: KeyProject, *, actor, reason: str) -> str:
    """After a change to one project's facts: its colour by the rule as of the board's date,
    the change recorded with ``reason`` (its ``%(why)s`` is the rule's verdict in words);
    nothing for a colour set by hand. The new colour, or ""."""
    if project.is_manual:
        return ""
    rule = rule_for(project.session)
    as_of = board_date(rule)
    verdict = project_verdict(project, project.milestones.all(), rule, as_of)
    if verdict.colour == project.colour:
        return ""
    before, project.colour = project.colour, verdict.colour
    project.save(update_fields=["colour", "updated_at"])
    _change(
        project,
        before=before,
        by_rule=True,
        reason=reason % {"why": verdict_words(verdict, rule, as_of)},
        actor=actor,
        as_of=as_of,
    ).save()
    return verdict.colour


@transaction.atomic
def milestone_done_set(*, milestone: Milestone, done_on: datetime.date | None, actor) -> Milestone:
    """Record that a milestone (时间节点) was reached on ``done_on``, or clear it (None); the
    project is recoloured by the rule, as after any progress. A date after today is refused:
    only what has happened is recorded."""
    project = _locked_project(milestone.project)
    milestone = Milestone.objects.get(pk=milestone.pk, project=project)
    if done_on is not None and done_on > timezone.localdate():
        raise ValidationError(_("完成日期不能晚于今天。"))
    if milestone.done_on == done_on:
        return milestone
    before, milestone.done_on = milestone.done_on, done_on
    milestone.save(update_fields=["done_on"])
    recoloured = _recolour_one(
        project, actor=actor, reason=_("时间节点完成情况更新后重新计算。%(why)s")
    )
    audit(
        session=project.session,
        actor=actor,
        action="projects.milestone",
        message=(
            _("重点项目 %(code)s 的节点“%(name)s”于 %(date)s 完成")
            % {"code": project.code, "name": milestone.name, "date": done_on.isoformat()}
            if done_on
            else _("重点项目 %(code)s 的节点“%(name)s”改为未完成")
            % {"code": project.code, "name": milestone.name}
        ),
        project=project.code,
        milestone=milestone.name,
        before=before.isoformat() if before else None,
        recoloured=recoloured,
    )
    return milestone


@transaction.atomic
def project_update_add(
    *,
    project: KeyProject,
    actor,
    text: str,
    progress: Decimal | None = None,
    stalled: bool | None = None,
    photo_url: str = "",
    video_url: str = "",
) -> ProjectUpdate:
    """进展. A new progress or 停滞 is written to the project; a project coloured by rule is
    then recoloured as of the board's date (the change recorded)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("请填写进展情况。"))
    if progress is not None and not ZERO <= progress <= HUNDRED:
        raise ValidationError(_("实际进度必须在 0 到 100 之间。"))
    project = _locked_project(project)
    update = ProjectUpdate(
        project=project,
        text=text,
        progress=progress,
        stalled=stalled if stalled is not None and stalled != project.stalled else None,
        photo_url=(photo_url or "").strip(),
        video_url=(video_url or "").strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", None) or "system",
    )
    try:
        update.full_clean(exclude=["project", "created_by"])
    except ValidationError as exc:
        raise ValidationError(
            [
                f"{ProjectUpdate._meta.get_field(name).verbose_name}：{message}"
                for name, messages in exc.message_dict.items()
                for message in messages
            ]
        ) from None
    update.save()
    if progress is not None:
        project.actual_progress = progress
    if update.stalled is not None:
        project.stalled = update.stalled
    project.save(update_fields=["actual_progress", "stalled", "updated_at"])
    recoloured = ""
    if progress is not None or update.stalled is not None:
        recoloured = _recolour_one(project, actor=actor, reason=_("进展更新后重新计算。%(why)s"))
    audit(
        session=project.session,
        actor=actor,
        action="projects.update",
        message=_("重点项目 %(code)s 新增进展：%(text)s") % {"code": project.code, "text": text},
        project=project.code,
        progress=progress,
        stalled=update.stalled,
        recoloured=recoloured,
    )
    return update


# ---------------------------------------------------------------- the rule's settings


@transaction.atomic
def project_rule_save(
    *, session: ReviewSession, actor, yellow_behind: Decimal, red_behind: Decimal
) -> ProjectRule:
    """New thresholds; colours change only with the next recolour (the page says so)."""
    for value in (yellow_behind, red_behind):
        if value is None or not ZERO <= value <= HUNDRED:
            raise ValidationError(_("阈值必须在 0 到 100 个百分点之间。"))
    if yellow_behind > red_behind:
        raise ValidationError(_("黄色阈值不能大于红色阈值。"))
    session = lock_session(session)
    rule = rule_for(session)
    before = (rule.yellow_behind, rule.red_behind)
    if before == (yellow_behind, red_behind):
        return rule
    rule.yellow_behind, rule.red_behind = yellow_behind, red_behind
    rule.save(update_fields=["yellow_behind", "red_behind", "updated_at"])
    audit(
        session=session,
        actor=actor,
        action="projects.rule",
        message=_("重点项目颜色规则：黄色阈值 %(y0)s→%(y1)s，红色阈值 %(r0)s→%(r1)s（百分点）")
        % {
            "y0": _points(before[0]),
            "y1": _points(yellow_behind),
            "r0": _points(before[1]),
            "r1": _points(red_behind),
        },
        yellow_behind=yellow_behind,
        red_behind=red_behind,
    )
    return rule
