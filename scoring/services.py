"""Writes for scoring: compute a preview, publish it as a snapshot, correct it,
verify it; 其他考核得分 and 书面点评. Keyword-only, atomic, ValidationError with a message a
person can act on (STYLE.md point 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit
from sessions import lifecycle
from sessions.guards import lock_session
from sessions.models import ReviewSession, ScoringScheme, Unit
from sessions.words import scheme_in_words
from targets import scores as target_scores

from . import engine, selectors
from .models import ExternalScore, LeaderComment, ResultSnapshot

Status = ReviewSession.Status

CORRECTION_REASON_MIN_LENGTH = 5  # the message below says 5 in words


@dataclass(frozen=True)
class Computed:
    """A result with what it was computed from."""

    inputs: engine.Inputs
    result: engine.Result
    inputs_hash: str
    labels: dict = field(default_factory=dict)


def labels_for(inputs: engine.Inputs) -> dict:
    """Names the tables print, kept with a snapshot so it reads the same after a rename."""
    return {
        "groups": {g.key: g.name for g in inputs.groups},
        "categories": {c.key: c.name for c in inputs.categories},
        "units": {u.key: u.name for u in inputs.units},
    }


def compute(session: ReviewSession, inputs: engine.Inputs | None = None) -> Computed:
    inputs = inputs or selectors.load_inputs(session)
    return Computed(
        inputs=inputs,
        result=engine.compute(inputs),
        inputs_hash=engine.inputs_hash(inputs),
        labels=labels_for(inputs),
    )


def _scheme_copy(session: ReviewSession) -> dict:
    scheme = ScoringScheme.objects.get(session=session)
    groups = list(session.rater_groups.all())
    criteria = list(session.criteria.all())
    copy = {
        f.name: str(getattr(scheme, f.name)) if getattr(scheme, f.name) is not None else None
        for f in ScoringScheme._meta.concrete_fields
        if f.name not in ("id", "session")
    }
    copy["groups"] = [
        {"name": g.name, "weight": str(g.weight), "min_sample": g.min_sample} for g in groups
    ]
    copy["criteria"] = [{"name": c.name, "weight": str(c.weight)} for c in criteria]
    copy["words"] = [str(line) for line in scheme_in_words(scheme, groups, criteria)]
    return copy


@transaction.atomic
def result_publish(*, session: ReviewSession, actor) -> ResultSnapshot:
    """发布: freeze the result of a closed session as snapshot 1 and move it to published.
    Publishing twice is impossible: the session row is locked, it must be closed, and the
    database allows one snapshot number 1 per session."""
    session = lock_session(session)
    if session.in_rehearsal:
        # A rehearsal's result is never a result (docs/rehearsal.md).
        raise ValidationError(
            _("正在彩排：彩排数据不计入结果，不能发布。请结束彩排并恢复后在正式评议结束时发布。")
        )
    if lifecycle.is_published(session) or ResultSnapshot.objects.filter(session=session):
        raise ValidationError(
            _("结果已经发布，不能再次发布；如需更正，请使用“更正结果”并写明理由。")
        )
    if not lifecycle.can_publish(session):
        raise ValidationError(
            _("只有评议已结束的评议会才能发布结果；当前状态：%(status)s。")
            % {"status": session.get_status_display()}
        )
    computed = compute(session)
    snapshot = _snapshot(session=session, computed=computed, number=1, reason="", actor=actor)
    before = session.status
    session.status = Status.PUBLISHED
    session.save(update_fields=["status", "updated_at"])
    audit(
        session=session,
        actor=actor,
        action="result.publish",
        message=_("发布评议结果（第 1 版，输入数据 SHA-256 %(hash)s）")
        % {"hash": computed.inputs_hash[:16]},
        status={"from": before, "to": session.status},
        inputs_hash=computed.inputs_hash,
    )
    return snapshot


@transaction.atomic
def result_correct(*, session: ReviewSession, actor, reason: str) -> ResultSnapshot:
    """更正: a new snapshot, computed from the inputs as they are now, with a written reason.
    The earlier snapshots stay as they were."""
    session = lock_session(session)
    reason = (reason or "").strip()
    if not lifecycle.is_published(session):
        raise ValidationError(_("只有已发布的结果才能更正。"))
    if len(reason) < CORRECTION_REASON_MIN_LENGTH:
        raise ValidationError(_("请写明更正理由（至少 5 个字）。"))
    latest = selectors.current_snapshot(session)
    computed = compute(session)
    snapshot = _snapshot(
        session=session, computed=computed, number=latest.number + 1, reason=reason, actor=actor
    )
    audit(
        session=session,
        actor=actor,
        action="result.correct",
        message=_("更正评议结果（第 %(number)s 版）：%(reason)s")
        % {"number": snapshot.number, "reason": reason},
        number=snapshot.number,
        previous_hash=latest.inputs_hash,
        inputs_hash=computed.inputs_hash,
    )
    return snapshot


def _snapshot(*, session, computed: Computed, number: int, reason: str, actor) -> ResultSnapshot:
    return ResultSnapshot.objects.create(
        session=session,
        number=number,
        reason=reason,
        scheme=_scheme_copy(session),
        inputs_hash=computed.inputs_hash,
        engine_version=engine.ENGINE_VERSION,
        result=computed.result.to_dict(),
        labels=computed.labels,
        created_by=actor if getattr(actor, "pk", None) else None,
    )


# How verify_result names what differs in a row (engine.Row's fields, in the table's order).
ROW_FIELD_LABELS = {
    "unit_name": gettext_lazy("单位名称"),
    "category": gettext_lazy("类别"),
    "groups": gettext_lazy("评议组票数与得分"),
    "review": gettext_lazy("综合评议得分"),
    "components": gettext_lazy("各项得分"),
    "bonus": gettext_lazy("加减分"),
    "bonus_reasons": gettext_lazy("加减分理由"),
    "total": gettext_lazy("总分"),
    "rank": gettext_lazy("排名"),
    "band": gettext_lazy("等次"),
    "band_rule": gettext_lazy("等次依据"),
    "good_votes": gettext_lazy("“好”票数"),
    "valid_votes": gettext_lazy("有效票数"),
    "own_unit_votes_ignored": gettext_lazy("忽略的本单位评价"),
    "flags": gettext_lazy("说明"),
}


@dataclass(frozen=True)
class Verification:
    snapshot: ResultSnapshot
    stored_hash: str
    current_hash: str
    rows_match: bool
    differences: list[str]

    @property
    def ok(self) -> bool:
        return self.stored_hash == self.current_hash and self.rows_match


def result_verify(*, session: ReviewSession) -> Verification:
    """Recompute the published result from the stored inputs: the hash of the inputs and every
    row must be what the snapshot holds (docs/design.md §4.12)."""
    snapshot = selectors.current_snapshot(session)
    if snapshot is None:
        raise ValidationError(_("这个评议会还没有发布结果，没有可核验的快照。"))
    computed = compute(session)
    recomputed = computed.result.to_dict()
    differences = []
    stored_rows = {r["unit"]: r for c in snapshot.result["categories"] for r in c["rows"]}
    new_rows = {r["unit"]: r for c in recomputed["categories"] for r in c["rows"]}
    names = snapshot.labels.get("units", {})
    for unit in sorted(stored_rows.keys() | new_rows.keys(), key=lambda k: names.get(k, k)):
        old, new = stored_rows.get(unit) or {}, new_rows.get(unit) or {}
        if old != new:
            changed = [
                str(label)
                for key, label in ROW_FIELD_LABELS.items()
                if old.get(key) != new.get(key)
            ]
            differences.append(f"{names.get(unit, unit)}: {'、'.join(changed)}")
    if snapshot.result.get("categories") != recomputed.get("categories") and not differences:
        differences.append(_("类别或排列顺序不同"))
    for key in ("ballots_used", "ballots_void", "void_ballots"):
        if snapshot.result.get(key) != recomputed.get(key):
            differences.append(key)
    return Verification(
        snapshot=snapshot,
        stored_hash=snapshot.inputs_hash,
        current_hash=computed.inputs_hash,
        rows_match=not differences,
        differences=differences,
    )


# ---------------------------------------------------------------- sensitivity


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    result: engine.Result | None  # None when the variant cannot be computed (e.g. no weight)


@dataclass(frozen=True)
class UnitSensitivity:
    unit: str
    name: str
    rank: int | None
    band: str | None
    changes: dict  # variant key -> (rank, band) where either differs from the result's


def sensitivity(computed: Computed) -> tuple[list[Variant], list[UnitSensitivity]]:
    """For every unit: would its rank or band change under the other mean (trimmed vs plain),
    each group's weight ±10 points, or leaving any one group out? Each variant is the whole
    computation of section 4 with that one change, so a contested rank can be answered on the
    spot."""
    inputs = computed.inputs
    scheme = inputs.scheme
    variants: list[Variant] = []

    def variant(key, label, changed: engine.Inputs) -> None:
        try:
            variants.append(Variant(key, label, engine.compute(changed)))
        except ValueError:
            variants.append(Variant(key, label, None))

    other_mean = replace(scheme, trimmed_mean=not scheme.trimmed_mean)
    variant(
        "mean",
        _("不去极值（算术平均）") if scheme.trimmed_mean else _("去掉一个最高值和一个最低值"),
        replace(inputs, scheme=other_mean),
    )
    ten = Decimal("10")
    for group in inputs.groups:
        for sign, label in ((1, _("%(group)s权重 +10")), (-1, _("%(group)s权重 −10"))):
            weight = group.weight + sign * ten
            if weight < 0:
                continue
            groups = [replace(g, weight=weight) if g.key == group.key else g for g in inputs.groups]
            variant(
                f"weight:{group.key}:{sign:+d}",
                label % {"group": group.name},
                replace(inputs, groups=groups),
            )
    for group in inputs.groups:
        groups = [
            replace(g, weight=Decimal("0")) if g.key == group.key else g for g in inputs.groups
        ]
        variant(
            f"without:{group.key}",
            _("不计%(group)s") % {"group": group.name},
            replace(inputs, groups=groups),
        )

    rows = []
    for row in computed.result.rows():
        changes = {}
        for v in variants:
            if v.result is None:
                continue
            other = v.result.row(row.unit)
            if (other.rank, other.band) != (row.rank, row.band):
                changes[v.key] = (other.rank, other.band)
        rows.append(UnitSensitivity(row.unit, row.unit_name, row.rank, row.band, changes))
    return variants, rows


# ---------------------------------------------------------------- other components


# 其他考核得分 and 点评 stay editable after publication: a correction (result_correct) is computed
# from the inputs as they are then, and verify_result reports the published snapshot as no
# longer matching until the correction is published.


@transaction.atomic
def external_score_save(
    *,
    session: ReviewSession,
    unit: Unit,
    actor,
    target: Decimal | None,
    daily: Decimal | None,
    bonus: Decimal = Decimal("0"),
    bonus_reason: str = "",
) -> ExternalScore:
    if unit.session_id != session.pk:
        raise ValidationError(_("这个单位不属于本评议会。"))
    if bonus and not bonus_reason.strip():
        raise ValidationError(_("有加减分时必须写明理由。"))
    # A typed 目标考核 replaces one taken from target management; the same value saved again
    # with the other components (a row edited for its 日常考核) keeps where it came from.
    before = ExternalScore.objects.filter(session=session, unit=unit).first()
    kept = (
        before is not None
        and before.target_source == ExternalScore.TargetSource.TARGETS
        and before.target == target
    )
    score, _created = ExternalScore.objects.update_or_create(
        session=session,
        unit=unit,
        defaults={
            "target": target,
            "target_source": before.target_source if kept else ExternalScore.TargetSource.TYPED,
            "target_basis": before.target_basis if kept else "",
            "daily": daily,
            "bonus": bonus or Decimal("0"),
            "bonus_reason": bonus_reason.strip(),
            "updated_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    score.full_clean()
    audit(
        session=session,
        actor=actor,
        action="external_score.save",
        message=_(
            "其他考核得分：%(unit)s 目标考核 %(target)s，日常考核 %(daily)s，加减分 %(bonus)s"
        )
        % {"unit": unit.name, "target": target, "daily": daily, "bonus": bonus},
    )
    return score


@transaction.atomic
def external_targets_fill(*, session: ReviewSession, actor) -> dict:
    """从目标管理取目标考核得分: every unit of the session linked to a district unit takes its
    annual 目标考核 score on 100 from target management, with the basis it was computed from
    (docs/targets.md, "Into the review"). A unit without targets of the session's year keeps
    what it has; 日常考核 and 加减分 stay as they are. Like a typed score, allowed after
    publication: a correction then publishes the new inputs."""
    session = lock_session(session)
    results = {
        result.org_unit.pk: result
        for result in target_scores.live_annual_scores(session.district, session.year)
    }
    units = list(Unit.objects.filter(session=session, org_unit__isnull=False).order_by("name"))
    existing = {e.unit_id: e for e in ExternalScore.objects.filter(session=session)}
    by = actor if getattr(actor, "pk", None) else None
    filled, changed, without = [], 0, []
    for unit in units:
        result = results.get(unit.org_unit_id)
        if result is None or result.score is None:
            without.append(unit.name)
            continue
        basis = target_scores.basis(result)
        score = existing.get(unit.pk) or ExternalScore(session=session, unit=unit)
        if (score.target, score.target_source, score.target_basis) != (
            result.score,
            ExternalScore.TargetSource.TARGETS,
            basis,
        ):
            changed += 1
        score.target = result.score
        score.target_source = ExternalScore.TargetSource.TARGETS
        score.target_basis = basis
        score.updated_by = by
        score.full_clean()
        score.save()
        filled.append({"unit": unit.name, "score": str(result.score), "basis": basis})
    audit(
        session=session,
        actor=actor,
        action="external_score.targets",
        message=_(
            "从目标管理取目标考核得分（%(year)s 年）：%(filled)s 个单位，其中 %(changed)s 个有变化；"
            "%(without)s 个单位没有目标，保持不变"
        )
        % {
            "year": session.year,
            "filled": len(filled),
            "changed": changed,
            "without": len(without),
        },
        year=session.year,
        units=filled,
        without_targets=without,
    )
    return {"filled": filled, "changed": changed, "without_targets": without}


@transaction.atomic
def leader_comment_save(
    *, session: ReviewSession, unit: Unit, actor, author: str, text: str, score: Decimal | None
) -> LeaderComment:
    if unit.session_id != session.pk:
        raise ValidationError(_("这个单位不属于本评议会。"))
    comment, _created = LeaderComment.objects.update_or_create(
        session=session,
        unit=unit,
        defaults={
            "author": author.strip(),
            "text": text.strip(),
            "score": score,
            "updated_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    comment.full_clean()
    audit(
        session=session,
        actor=actor,
        action="leader_comment.save",
        message=_("分管领导书面点评：%(unit)s（%(author)s）")
        % {"unit": unit.name, "author": author},
    )
    return comment
