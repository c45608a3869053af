"""Writes for 表彰 (docs/awards.md): a programme's rules, its nominations, 公示, objections,
the final list and the decision.

Every function is keyword-only and atomic, re-reads the programme under a row lock, refuses
with a ValidationError a person can act on (and then changes nothing), and records an audit
entry (core.audit) against the programme's review session, or none when it has none.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit, stored_user
from org.models import District, OrgUnit
from scoring import engine
from scoring.document import BAND_LABELS
from scoring.models import ResultSnapshot
from scoring.selectors import current_snapshot
from sessions.models import ReviewSession, Unit
from targets.models import Notice
from targets.scores import annual_scores, basis, live_annual_scores

from .models import Exclusion, Nomination, Objection, Programme

Kind, Source, Status, RankBy = Programme.Kind, Programme.Source, Programme.Status, Programme.RankBy
Outcome = Objection.Outcome
# Band codes in the order the published table names them (优秀, 良好, 一般, 较差).
BAND_CODES = tuple(engine.BAND_LABELS)
# Before 公示 the rules and the list may change; from 公示 on nothing is computed again.
OPEN_STATES = (Status.DRAFT, Status.NOMINATED)
UNCATEGORISED = "其他"


def _lock(programme: Programme) -> Programme:
    # of=("self",): the session is an outer join, which PostgreSQL cannot lock.
    return (
        Programme.objects.select_for_update(of=("self",))
        .select_related("district", "session")
        .get(pk=programme.pk)
    )


def _refuse_unless(programme: Programme, states, message: str) -> None:
    if programme.status not in states:
        raise ValidationError(message % {"status": programme.get_status_display()})


def _audit(programme: Programme, *, actor, action: str, message: str, **detail) -> None:
    audit(
        session=programme.session,
        actor=actor,
        action=action,
        message=message,
        programme=programme.pk,
        district=programme.district.code,
        year=programme.year,
        **detail,
    )


# ---------------------------------------------------------------------------- the programme


@transaction.atomic
def programme_save(
    *,
    actor,
    district: District,
    year: int,
    name: str,
    kind: str,
    source: str,
    programme: Programme | None = None,
    session: ReviewSession | None = None,
    rank_by: str = RankBy.TOTAL,
    bands: Iterable[str] = (),
    min_score: Decimal | None = None,
    top_n: int | None = None,
    quota: Mapping[str, int] | None = None,
    quota_default: int | None = None,
    per_unit_quota: int | None = None,
    exclude_vetoed: bool = True,
    exclude_noticed: bool = True,
    exclusions: Mapping[OrgUnit, str] | None = None,
) -> Programme:
    """Create a programme of ``district``'s ``year`` or change ``programme``'s rules
    (docs/awards.md, "Who qualifies"). Rules change only before 公示; changing a unit
    programme's rules after computing drops its list and takes it back to draft."""
    if programme is not None:
        programme = _lock(programme)
        _refuse_unless(
            programme, OPEN_STATES, _("奖项当前状态为“%(status)s”，评选规则已不能修改。")
        )
        district, year = programme.district, programme.year
    name = (name or "").strip()
    bands = [code for code in BAND_CODES if code in set(bands or ())]
    quota = {str(k).strip(): v for k, v in (quota or {}).items()}
    exclusions = dict(exclusions or {})
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("请填写奖项名称。")
    elif len(name) > 100:
        errors["name"] = _("奖项名称不能超过 100 个字符。")
    elif (
        Programme.objects.filter(district=district, year=year, name=name)
        .exclude(pk=getattr(programme, "pk", None))
        .exists()
    ):
        errors["name"] = _("本年度已有名为“%(name)s”的奖项。") % {"name": name}
    if kind not in Kind.values:
        errors["kind"] = _("请选择表彰对象（单位或个人）。")
    if source not in Source.values:
        errors["source"] = _("请选择评选依据。")
    elif (kind == Kind.PERSON) != (source == Source.NOMINATED):
        errors["source"] = _(
            "先进个人由单位推荐产生；单位奖项按评议等次、评议排名或目标考核得分评选。"
        )
    if source in (Source.BAND, Source.RANK):
        if session is None:
            errors["session"] = _("按评议等次或排名评选，须选择一次评议会。")
        elif session.district_id != district.pk:
            errors["session"] = _("所选评议会不属于本区（县）。")
        elif session.year != year:
            errors["session"] = _("所选评议会是 %(y)s 年度的，与奖项年度不同。") % {
                "y": session.year
            }
    else:
        session = None
    if source == Source.BAND and not bands:
        errors["bands"] = _("请至少选择一个等次。")
    if source == Source.RANK:
        if rank_by not in RankBy.values:
            errors["rank_by"] = _("请选择排名依据。")
        if not top_n or top_n < 1:
            errors["top_n"] = _("请填写每类取前几名（至少 1）。")
    if source == Source.TARGET and (min_score is None or not 0 <= min_score <= 100):
        errors["min_score"] = _("请填写 0 至 100 之间的最低目标考核得分。")
    for category, places in quota.items():
        if not category or not isinstance(places, int) or places < 0:
            errors["quota"] = _("分类名额须写成“类别名称：名额”，名额为不小于 0 的整数。")
    if quota_default is not None and quota_default < 0:
        errors["quota_default"] = _("名额不能为负数。")
    if per_unit_quota is not None and per_unit_quota < 1:
        errors["per_unit_quota"] = _("每单位推荐名额至少为 1。")
    for org_unit, reason in exclusions.items():
        if org_unit.district_id != district.pk:
            errors["exclusions"] = _("排除单位“%(unit)s”不属于本区（县）。") % {"unit": org_unit}
        elif not (reason or "").strip():
            errors["exclusions"] = _("请写明排除“%(unit)s”的理由。") % {"unit": org_unit}
    if errors:
        raise ValidationError(errors)

    fields = {
        "name": name,
        "kind": kind,
        "source": source,
        "session": session,
        "rank_by": rank_by if source == Source.RANK else RankBy.TOTAL,
        "bands": bands if source == Source.BAND else [],
        "min_score": min_score if source == Source.TARGET else None,
        "top_n": top_n if source == Source.RANK else None,
        "quota": quota if kind == Kind.UNIT else {},
        "quota_default": quota_default if kind == Kind.UNIT else None,
        "per_unit_quota": per_unit_quota if kind == Kind.PERSON else None,
        "exclude_vetoed": exclude_vetoed,
        "exclude_noticed": exclude_noticed,
    }
    created = programme is None
    dropped = 0
    if created:
        programme = Programme.objects.create(
            district=district,
            year=year,
            created_by=stored_user(actor),
            **fields,
        )
    else:
        if programme.kind != kind and programme.nominations.exists():
            raise ValidationError(_("已有提名，不能更改表彰对象；请新建奖项。"))
        for field, value in fields.items():
            setattr(programme, field, value)
        if programme.kind == Kind.UNIT and programme.status == Status.NOMINATED:
            # The list was computed under the old rules: it goes, and is computed again.
            dropped, _detail = programme.nominations.all().delete()
            programme.status, programme.computed_at = Status.DRAFT, None
        programme.save()
    programme.exclusions.all().delete()
    Exclusion.objects.bulk_create(
        Exclusion(programme=programme, org_unit=unit, reason=reason.strip())
        for unit, reason in sorted(exclusions.items(), key=lambda item: item[0].code)
    )
    _audit(
        programme,
        actor=actor,
        action="awards.programme.create" if created else "awards.programme.update",
        message=(_("新建奖项“%(name)s”") if created else _("修改奖项“%(name)s”的评选规则"))
        % {"name": name}
        + (_("，原提名名单已作废，需重新计算") if dropped else ""),
        rules={k: v for k, v in fields.items() if k != "session"},
        session_id=getattr(session, "pk", None),
        exclusions={u.code: r for u, r in exclusions.items()},
    )
    return programme


# ---------------------------------------------------------------------------- nominations


@dataclass
class _Candidate:
    """A unit that meets a programme's rule, with how it did, before exclusions and quota."""

    org_unit: OrgUnit
    category: str
    category_order: int
    rank: int | None
    band: str
    score: Decimal | None
    basis: str
    snapshot: ResultSnapshot | None
    inputs_hash: str
    # Ordered by this within the category; equal values tie at the quota's edge.
    standing: tuple

    def sort_key(self) -> tuple:
        return (self.category_order, self.category, self.standing, self.org_unit.code)


def _decimal(text) -> Decimal | None:
    return None if text is None else Decimal(str(text))


def _review_ranks(rows: list[dict]) -> dict[str, int]:
    """Ranks within a category by the 综合评议 score alone, highest first; equal scores share
    a rank and the next is skipped (1, 2, 2, 4), as docs/design.md §4.7 ranks the total."""
    scored = sorted(
        (row for row in rows if row.get("review") is not None),
        key=lambda row: -_decimal(row["review"]),
    )
    ranks: dict[str, int] = {}
    previous, rank = None, 0
    for position, row in enumerate(scored, start=1):
        value = _decimal(row["review"])
        if value != previous:
            rank, previous = position, value
        ranks[row["unit"]] = rank
    return ranks


def _from_snapshot(programme: Programme) -> list[_Candidate]:
    session = programme.session
    snapshot = current_snapshot(session)
    if snapshot is None:
        raise ValidationError(
            _("评议会“%(session)s”尚未发布结果，不能据此提名。") % {"session": session.title}
        )
    result = snapshot.result
    keys = [int(row["unit"]) for cat in result["categories"] for row in cat["rows"]]
    org_units = {
        unit.pk: unit.org_unit
        for unit in Unit.objects.filter(session=session, pk__in=keys).select_related("org_unit")
    }
    version = _("%(session)s第 %(n)s 版结果") % {"session": session.title, "n": snapshot.number}
    candidates = []
    for order, category in enumerate(result["categories"]):
        rows = category["rows"]
        review_ranks = _review_ranks(rows) if programme.rank_by == RankBy.REVIEW else {}
        for row in rows:
            org_unit = org_units.get(int(row["unit"]))
            if org_unit is None:
                continue
            band = row.get("band") or ""
            band_label = str(BAND_LABELS.get(band, "")) if band else ""
            total, review = _decimal(row.get("total")), _decimal(row.get("review"))
            if programme.source == Source.BAND:
                if band not in programme.bands:
                    continue
                rank, score = row["rank"], total
                text = _("%(category)s第 %(rank)s 名，总分 %(total)s，等次%(band)s") % {
                    "category": category["name"],
                    "rank": rank,
                    "total": total,
                    "band": band_label,
                }
            elif programme.rank_by == RankBy.REVIEW:
                rank, score = review_ranks.get(row["unit"]), review
                if rank is None or rank > programme.top_n:
                    continue
                text = _("%(category)s综合评议得分第 %(rank)s 名（%(score)s 分）") % {
                    "category": category["name"],
                    "rank": rank,
                    "score": review,
                }
            else:
                rank, score = row["rank"], total
                if rank is None or rank > programme.top_n:
                    continue
                text = _("%(category)s综合得分第 %(rank)s 名（总分 %(total)s）") % {
                    "category": category["name"],
                    "rank": rank,
                    "total": total,
                }
            if band_label and programme.source != Source.BAND:
                text += _("，等次%(band)s") % {"band": band_label}
            candidates.append(
                _Candidate(
                    org_unit=org_unit,
                    category=category["name"],
                    category_order=order,
                    rank=rank,
                    band=band,
                    score=score,
                    basis=f"{text}；{version}",
                    snapshot=snapshot,
                    inputs_hash=snapshot.inputs_hash,
                    standing=(rank if rank is not None else 10**6,),
                )
            )
    return candidates


def _from_targets(programme: Programme, scores) -> list[_Candidate]:
    categories: list[str] = []
    candidates = []
    for result in scores:
        if result.score is None or result.score < programme.min_score:
            continue
        category = result.org_unit.category or UNCATEGORISED
        if category not in categories:
            categories.append(category)
        candidates.append(
            _Candidate(
                org_unit=result.org_unit,
                category=category,
                category_order=categories.index(category),
                rank=result.rank,
                band="",
                score=result.score,
                basis=_("%(year)s 年度目标考核得分 %(score)s，%(category)s第 %(rank)s 名")
                % {
                    "year": programme.year,
                    "score": result.score,
                    "category": category,
                    "rank": result.rank,
                },
                snapshot=None,
                inputs_hash=basis(result),
                standing=(-result.score,),
            )
        )
    return candidates


def _exclusion_reasons(programme: Programme, candidates, scores) -> dict[int, list[str]]:
    """org unit id -> why it is left out (docs/awards.md, "Exclusions")."""
    ids = {c.org_unit.pk for c in candidates}
    reasons: dict[int, list[str]] = {}
    for exclusion in programme.exclusions.filter(org_unit_id__in=ids):
        reasons.setdefault(exclusion.org_unit_id, []).append(
            _("列入排除名单：%(reason)s") % {"reason": exclusion.reason}
        )
    if programme.exclude_vetoed:
        for result in (
            scores if scores is not None else annual_scores(programme.district, programme.year)
        ):
            if result.vetoed_by and result.org_unit.pk in ids:
                reasons.setdefault(result.org_unit.pk, []).append(
                    _("目标考核被一票否决（指标 %(codes)s）")
                    % {"codes": "、".join(result.vetoed_by)}
                )
    if programme.exclude_noticed:
        notices = (
            Notice.objects.filter(
                district=programme.district,
                year=programme.year,
                kind__in=[Notice.Kind.WARNING, Notice.Kind.ADMONISH],
                closed_at__isnull=True,
                target_unit__org_unit_id__in=ids,
            )
            .select_related("target_unit")
            .order_by("kind", "number")
        )
        for notice in notices:
            reasons.setdefault(notice.target_unit.org_unit_id, []).append(
                _("有未销号的%(kind)s（%(year)s 年第 %(number)s 号）")
                % {"kind": notice.get_kind_display(), "year": notice.year, "number": notice.number}
            )
    return reasons


def _quota_of(programme: Programme, category: str) -> int | None:
    if category in programme.quota:
        return programme.quota[category]
    return programme.quota_default


def _within_quota(candidates: list[_Candidate], places: int | None):
    """The first ``places`` candidates in order, and every one tied with the last of them
    (flagged: the office decides, docs/awards.md "Quota")."""
    if places is None or len(candidates) <= places:
        return [(c, False) for c in candidates]
    if places == 0:
        return []
    edge = candidates[places - 1].standing
    taken = candidates[:places] + [c for c in candidates[places:] if c.standing == edge]
    tied = len(taken) > places
    return [(c, tied and c.standing == edge) for c in taken]


@transaction.atomic
def nominations_compute(*, programme: Programme, actor) -> list[Nomination]:
    """Work out a unit programme's list from the published result of its session or from the
    year's 目标考核 scores, replacing any list computed before (docs/awards.md, "Who
    qualifies", "Exclusions", "Quota"). The same data gives the same list."""
    programme = _lock(programme)
    if programme.kind != Kind.UNIT:
        raise ValidationError(_("先进个人由单位推荐，不按结果计算。"))
    _refuse_unless(
        programme,
        OPEN_STATES,
        _("奖项当前状态为“%(status)s”：公示开始后名单不能重新计算。"),
    )
    scores = None
    if programme.source == Source.TARGET:
        # Live: each candidate's basis needs the lines (docs/targets.md, "Stored scores").
        scores = live_annual_scores(programme.district, programme.year)
        candidates = _from_targets(programme, scores)
    else:
        candidates = _from_snapshot(programme)
    candidates.sort(key=_Candidate.sort_key)
    reasons = _exclusion_reasons(programme, candidates, scores)

    programme.nominations.all().delete()
    rows: list[Nomination] = []
    by_category: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        by_category.setdefault(candidate.category, []).append(candidate)
    left_out = 0
    for category, members in by_category.items():
        eligible = [c for c in members if c.org_unit.pk not in reasons]
        taken = _within_quota(eligible, _quota_of(programme, category))
        left_out += len(eligible) - len(taken)
        tie_of = {id(c): tie for c, tie in taken}
        for candidate in members:
            excluded = candidate.org_unit.pk in reasons
            if not excluded and id(candidate) not in tie_of:
                continue
            rows.append(
                Nomination(
                    programme=programme,
                    org_unit=candidate.org_unit,
                    category=category,
                    position=len(rows) + 1,
                    rank=candidate.rank,
                    band=candidate.band,
                    score=candidate.score,
                    basis=candidate.basis[:500],
                    snapshot=candidate.snapshot,
                    inputs_hash=candidate.inputs_hash,
                    tie_at_quota=tie_of.get(id(candidate), False),
                    excluded=excluded,
                    excluded_reason="；".join(reasons.get(candidate.org_unit.pk, []))[:500],
                    created_by=stored_user(actor),
                )
            )
    Nomination.objects.bulk_create(rows)
    programme.status, programme.computed_at = Status.NOMINATED, timezone.now()
    programme.save(update_fields=["status", "computed_at", "updated_at"])
    listed = [n for n in rows if not n.excluded]
    snapshot = candidates[0].snapshot if candidates else None
    _audit(
        programme,
        actor=actor,
        action="awards.nominations.compute",
        message=_("计算“%(name)s”提名名单：入选 %(n)s 个，排除 %(x)s 个，超出名额 %(o)s 个")
        % {"name": programme.name, "n": len(listed), "x": len(rows) - len(listed), "o": left_out},
        listed=[n.org_unit.code for n in listed],
        excluded=[n.org_unit.code for n in rows if n.excluded],
        ties=[n.org_unit.code for n in rows if n.tie_at_quota],
        snapshot=getattr(snapshot, "pk", None),
        inputs_hash=getattr(snapshot, "inputs_hash", ""),
    )
    return list(programme.nominations.select_related("org_unit"))


@transaction.atomic
def person_nominate(
    *, programme: Programme, org_unit: OrgUnit, person_name: str, post: str, actor
) -> Nomination:
    """A unit's 先进个人 nomination: name and post, within the programme's places per unit."""
    programme = _lock(programme)
    if programme.kind != Kind.PERSON:
        raise ValidationError(_("单位奖项的名单按结果计算，不能推荐个人。"))
    _refuse_unless(programme, OPEN_STATES, _("奖项当前状态为“%(status)s”：公示开始后不能再推荐。"))
    person_name, post = (person_name or "").strip(), (post or "").strip()
    errors = {}
    if org_unit.district_id != programme.district_id:
        errors["org_unit"] = _("推荐单位不属于本区（县）。")
    if not person_name:
        errors["person_name"] = _("请填写姓名。")
    if not post:
        errors["post"] = _("请填写职务。")
    if errors:
        raise ValidationError(errors)
    mine = programme.nominations.filter(org_unit=org_unit)
    if mine.filter(person_name=person_name).exists():
        raise ValidationError(
            _("%(unit)s已推荐过%(name)s。") % {"unit": org_unit.name, "name": person_name}
        )
    places = programme.per_unit_quota
    if places is not None and mine.filter(withdrawn=False, excluded=False).count() >= places:
        raise ValidationError(
            _("%(unit)s的推荐名额为 %(n)s 名，已经用完。") % {"unit": org_unit.name, "n": places}
        )
    last = programme.nominations.aggregate(last=Max("position"))["last"] or 0
    nomination = Nomination.objects.create(
        programme=programme,
        org_unit=org_unit,
        person_name=person_name,
        post=post,
        category=org_unit.category,
        position=last + 1,
        basis=_("由%(unit)s推荐") % {"unit": org_unit.name},
        created_by=stored_user(actor),
    )
    if programme.status == Status.DRAFT:
        programme.status = Status.NOMINATED
        programme.save(update_fields=["status", "updated_at"])
    _audit(
        programme,
        actor=actor,
        action="awards.person.nominate",
        message=_("%(unit)s推荐%(name)s（%(post)s）为“%(programme)s”")
        % {"unit": org_unit.name, "name": person_name, "post": post, "programme": programme.name},
        nomination=nomination.pk,
    )
    return nomination


def _withdraw(nomination: Nomination, *, reason: str, actor) -> None:
    nomination.withdrawn, nomination.withdrawn_reason = True, reason[:1000]
    nomination.withdrawn_at = timezone.now()
    nomination.withdrawn_by = stored_user(actor)
    nomination.save(update_fields=["withdrawn", "withdrawn_reason", "withdrawn_at", "withdrawn_by"])


@transaction.atomic
def nomination_withdraw(*, nomination: Nomination, reason: str, actor) -> Nomination:
    """Take a nomination off the list before 公示, with the reason (a tie at the quota's edge
    the office settles, a person's unit changing its mind). During 公示 only an upheld
    objection withdraws one."""
    programme = _lock(nomination.programme)
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    _refuse_unless(
        programme,
        (Status.NOMINATED,),
        _("奖项当前状态为“%(status)s”：只有公示前可以撤销提名；公示期间请登记异议并核查。"),
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请写明撤销理由。"))
    if not nomination.active:
        raise ValidationError(_("这个提名已经不在名单上。"))
    _withdraw(nomination, reason=reason, actor=actor)
    _audit(
        programme,
        actor=actor,
        action="awards.nomination.withdraw",
        message=_("撤销“%(programme)s”提名：%(who)s。理由：%(reason)s")
        % {"programme": programme.name, "who": nomination, "reason": reason},
        nomination=nomination.pk,
    )
    return nomination


# ---------------------------------------------------------------------------- 公示 and after


@transaction.atomic
def publicise(
    *, programme: Programme, start: datetime.date, end: datetime.date, actor
) -> Programme:
    """公示: the list goes public from ``start`` to ``end``; from now on it is never computed
    again (docs/awards.md, "Lifecycle")."""
    programme = _lock(programme)
    _refuse_unless(
        programme,
        (Status.NOMINATED,),
        _("只有已提名的奖项可以公示；当前状态为“%(status)s”。"),
    )
    if start is None or end is None:
        raise ValidationError(_("请填写公示的开始和结束日期。"))
    if end < start:
        raise ValidationError(_("公示结束日期不能早于开始日期。"))
    if not programme.nominations.filter(excluded=False, withdrawn=False).exists():
        raise ValidationError(_("名单为空，不能公示。"))
    programme.status = Status.PUBLICISED
    programme.publicity_start, programme.publicity_end = start, end
    programme.save(update_fields=["status", "publicity_start", "publicity_end", "updated_at"])
    _audit(
        programme,
        actor=actor,
        action="awards.publicise",
        message=_("“%(name)s”名单公示：%(start)s 至 %(end)s")
        % {"name": programme.name, "start": start, "end": end},
        start=start,
        end=end,
    )
    return programme


@transaction.atomic
def objection_record(
    *,
    nomination: Nomination,
    summary: str,
    actor,
    received_at: datetime.datetime | None = None,
) -> Objection:
    """Record an objection received during 公示 against one name on the list."""
    programme = _lock(nomination.programme)
    _refuse_unless(
        programme,
        (Status.PUBLICISED,),
        _("只有公示期间可以登记异议；当前状态为“%(status)s”。"),
    )
    summary = (summary or "").strip()
    received_at = received_at or timezone.now()
    received_on = timezone.localtime(received_at).date()
    if not summary:
        raise ValidationError(_("请填写异议内容。"))
    if not programme.publicity_start <= received_on <= programme.publicity_end:
        raise ValidationError(
            _("异议须在公示期内（%(start)s 至 %(end)s）收到。")
            % {"start": programme.publicity_start, "end": programme.publicity_end}
        )
    nomination = Nomination.objects.get(pk=nomination.pk)
    if not nomination.active:
        raise ValidationError(_("这个提名不在公示名单上。"))
    objection = Objection.objects.create(
        nomination=nomination,
        received_at=received_at,
        summary=summary,
        recorded_by=stored_user(actor),
    )
    _audit(
        programme,
        actor=actor,
        action="awards.objection.record",
        message=_("登记对“%(who)s”的公示期异议") % {"who": nomination},
        objection=objection.pk,
        nomination=nomination.pk,
    )
    return objection


@transaction.atomic
def objection_decide(*, objection: Objection, outcome: str, note: str, actor) -> Objection:
    """核查: an upheld objection takes the nomination off the list; a dismissed one leaves it."""
    programme = _lock(objection.nomination.programme)
    objection = (
        Objection.objects.select_for_update().select_related("nomination").get(pk=objection.pk)
    )
    _refuse_unless(
        programme,
        (Status.PUBLICISED,),
        _("只有公示期间可以核查异议；当前状态为“%(status)s”。"),
    )
    note = (note or "").strip()
    if objection.outcome != Outcome.PENDING:
        raise ValidationError(_("这条异议已经核查过。"))
    if outcome not in (Outcome.UPHELD, Outcome.DISMISSED):
        raise ValidationError(_("请选择核查结果：异议成立或不成立。"))
    if not note:
        raise ValidationError(_("请写明核查说明。"))
    objection.outcome, objection.note = outcome, note
    objection.decided_at = timezone.now()
    objection.decided_by = stored_user(actor)
    objection.save(update_fields=["outcome", "note", "decided_at", "decided_by"])
    nomination = objection.nomination
    if outcome == Outcome.UPHELD and nomination.active:
        _withdraw(nomination, reason=_("公示期异议成立：%(note)s") % {"note": note}, actor=actor)
    _audit(
        programme,
        actor=actor,
        action="awards.objection.decide",
        message=_("核查对“%(who)s”的异议：%(outcome)s")
        % {"who": nomination, "outcome": objection.get_outcome_display()},
        objection=objection.pk,
        outcome=outcome,
    )
    return objection


@transaction.atomic
def finalise(*, programme: Programme, actor, today: datetime.date | None = None) -> Programme:
    """定名单: after the 公示 end date, with every objection decided."""
    programme = _lock(programme)
    today = today or timezone.localdate()
    _refuse_unless(
        programme,
        (Status.PUBLICISED,),
        _("只有公示过的奖项可以确定最终名单；当前状态为“%(status)s”。"),
    )
    if today <= programme.publicity_end:
        raise ValidationError(
            _("公示期到 %(end)s 结束，公示期满后才能确定最终名单。")
            % {"end": programme.publicity_end}
        )
    pending = Objection.objects.filter(
        nomination__programme=programme, outcome=Outcome.PENDING
    ).count()
    if pending:
        raise ValidationError(
            _("还有 %(n)s 条异议未核查，核查后才能确定最终名单。") % {"n": pending}
        )
    listed = programme.nominations.filter(excluded=False, withdrawn=False).count()
    if not listed:
        raise ValidationError(_("最终名单为空，不能确定。"))
    programme.status, programme.finalised_at = Status.FINAL, timezone.now()
    programme.save(update_fields=["status", "finalised_at", "updated_at"])
    _audit(
        programme,
        actor=actor,
        action="awards.finalise",
        message=_("确定“%(name)s”最终名单（%(n)s 名）") % {"name": programme.name, "n": listed},
    )
    return programme


@transaction.atomic
def decide(
    *,
    programmes: Iterable[Programme],
    number: str,
    date: datetime.date,
    issuer: str,
    body: str,
    actor,
    signatory: str = "",
) -> list[Programme]:
    """表彰决定: one decision (文号, date, issuing body) for one or more final programmes of
    the same district and year; the decision's PDF lists them all (docs/awards.md, "The
    decision")."""
    locked = [_lock(p) for p in sorted(programmes, key=lambda p: p.pk)]
    number, issuer = (number or "").strip(), (issuer or "").strip()
    body, signatory = (body or "").strip(), (signatory or "").strip()
    if not locked:
        raise ValidationError(_("请选择要表彰的奖项。"))
    if len({(p.district_id, p.year) for p in locked}) > 1:
        raise ValidationError(_("一个表彰决定只能包含同一区（县）同一年度的奖项。"))
    for programme in locked:
        _refuse_unless(
            programme,
            (Status.FINAL,),
            _("“%(name)s”当前状态为“%%(status)s”，确定最终名单后才能作出表彰决定。")
            % {"name": programme.name},
        )
    errors = {}
    if not number:
        errors["number"] = _("请填写决定文号。")
    elif Programme.objects.filter(
        district_id=locked[0].district_id, status=Status.DECIDED, decision_number=number
    ).exists():
        errors["number"] = _("文号“%(n)s”已被另一个表彰决定使用。") % {"n": number}
    if date is None:
        errors["date"] = _("请填写决定日期。")
    elif any(date <= p.publicity_end for p in locked):
        errors["date"] = _("决定日期须在公示期满之后。")
    if not issuer:
        errors["issuer"] = _("请填写发文机关。")
    if not body:
        errors["body"] = _("请填写决定正文。")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    for programme in locked:
        programme.status = Status.DECIDED
        programme.decision_number, programme.decision_date = number, date
        programme.decision_issuer, programme.decision_signatory = issuer, signatory
        programme.decision_body, programme.decided_at = body, now
        programme.save()
        _audit(
            programme,
            actor=actor,
            action="awards.decide",
            message=_("作出表彰决定 %(number)s：%(name)s")
            % {"number": number, "name": programme.name},
            number=number,
            date=date,
        )
    return locked
