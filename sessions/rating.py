"""综合评议 on tablets (issue 3): what a credential may rate, drafts saved on every tap, and the
one-time submission. DESIGN.md sections 4.2 (who may rate whom) and 4.9 (ballot rules).

Every function here is a service: keyword-only, atomic, and raising ValidationError with a
message the rater can act on. Nothing here trusts an id from the browser: units and criteria
are looked up among those this credential may rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .credentials import CODE_LENGTH, new_code
from .models import (
    Ballot,
    BallotGrade,
    Credential,
    Criterion,
    DraftGrade,
    Grade,
    Participant,
    ReviewSession,
    ScoringScheme,
    Unit,
    UnitCategory,
)

RECEIPT_LENGTH = CODE_LENGTH
RuleAction = ScoringScheme.RuleAction


class RatingClosed(ValidationError):
    """The credential cannot rate now: revoked, already used, or the session not in rating."""


@dataclass(frozen=True)
class Cell:
    """One answer on the form: a unit, or a unit and a criterion."""

    unit_id: int
    criterion_id: int | None


# ---------------------------------------------------------------- who may rate what


def rateable_units(credential: Credential) -> list[Unit]:
    """The participating units this credential rates, in speaking order: never the holder's own
    unit, and with 交叉评议 on, towns rate only departments and departments only towns
    (DESIGN.md section 4.2)."""
    session = credential.session
    participants = (
        Participant.objects.filter(session=session)
        .select_related("unit__category")
        .order_by("unit__category__order", "unit__category_id", "speaking_order", "unit__name")
    )
    units = [p.unit for p in participants if p.unit_id != credential.holder_unit_id]
    side = credential.group.side
    if session.scheme.cross_rating and side in (
        UnitCategory.Side.TOWN,
        UnitCategory.Side.DEPARTMENT,
    ):
        other = (
            UnitCategory.Side.DEPARTMENT
            if side == UnitCategory.Side.TOWN
            else UnitCategory.Side.TOWN
        )
        units = [u for u in units if u.category.side == other]
    return units


def session_criteria(session: ReviewSession) -> list[Criterion]:
    return list(session.criteria.all())


def form_cells(credential: Credential) -> list[Cell]:
    criteria = session_criteria(credential.session) or [None]
    return [
        Cell(unit_id=u.pk, criterion_id=c.pk if c else None)
        for u in rateable_units(credential)
        for c in criteria
    ]


# ---------------------------------------------------------------- guards


def rating_state(credential: Credential | None) -> str:
    """unknown / revoked / submitted / not_open / ended / open."""
    if credential is None:
        return "unknown"
    if credential.status == Credential.Status.REVOKED:
        return "revoked"
    if credential.submitted_at is not None:
        return "submitted"
    status = credential.session.status
    if status in (ReviewSession.Status.CLOSED, ReviewSession.Status.PUBLISHED):
        return "ended"
    if status != ReviewSession.Status.RATING:
        return "not_open"
    return "open"


_STATE_MESSAGES = {
    "revoked": gettext_noop("这张评议卡已被作废，请向会务人员领取新卡。"),
    "submitted": gettext_noop("此评议码已提交评议表，不能再修改。"),
    "not_open": gettext_noop("评议尚未开放，请在主持人宣布开始评议后再填写。"),
    "ended": gettext_noop("评议已经结束，不再接收评议表。"),
    "unknown": gettext_noop("评议码无效。"),
}


def _lock(credential: Credential) -> Credential:
    """Re-read the credential under a row lock (held until the transaction ends)."""
    return (
        Credential.objects.select_for_update(of=("self",))
        .select_related("session__scheme", "group", "holder_unit")
        .get(pk=credential.pk)
    )


def _require_open(locked: Credential) -> Credential:
    state = rating_state(locked)
    if state != "open":
        raise RatingClosed(_(_STATE_MESSAGES[state]))
    return locked


def _lock_open(credential: Credential) -> Credential:
    """Re-read the credential under a row lock and require that it can rate now."""
    return _require_open(_lock(credential))


def credential_open(*, credential: Credential) -> Credential:
    """Record the first time a credential's form was opened (the organisers' monitor counts it)."""
    if credential.opened_at is None:
        Credential.objects.filter(pk=credential.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
        credential.refresh_from_db(fields=["opened_at"])
    return credential


# ---------------------------------------------------------------- drafts


def drafts_for(credential: Credential) -> dict[Cell, str]:
    return {
        Cell(d.unit_id, d.criterion_id): d.grade
        for d in DraftGrade.objects.filter(credential=credential)
    }


@transaction.atomic
def draft_grade_set(
    *, credential: Credential, unit_id: int, criterion_id: int | None, grade: str
) -> DraftGrade:
    """Save one tap. A unit or criterion this credential may not rate, or a grade outside
    好/较好/一般/差/弃权, is refused and nothing is stored."""
    credential = _lock_open(credential)
    if grade not in Grade.values:
        raise ValidationError(_("无效的评价等次。"))
    cell = Cell(unit_id=unit_id, criterion_id=criterion_id)
    if cell not in set(form_cells(credential)):
        raise ValidationError(_("此单位不在您的评议表上。"))
    draft, _created = DraftGrade.objects.update_or_create(
        credential=credential,
        unit_id=unit_id,
        criterion_id=criterion_id,
        defaults={"grade": grade},
    )
    return draft


# ---------------------------------------------------------------- submission


@dataclass(frozen=True)
class Submission:
    receipt: str
    flags: list[str]
    repeated: bool  # True when the credential had already submitted (a retry or second tablet)


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def ballot_rule_results(scheme: ScoringScheme, grades: list[str]) -> list[tuple[str, str, str]]:
    """(rule, action, message) for every ballot rule of section 4.9 this ballot breaks."""
    broken = []
    votes = [g for g in grades if g != Grade.ABSTAIN]
    if scheme.max_good_action != RuleAction.OFF and scheme.max_good_percent is not None and grades:
        good = sum(1 for g in grades if g == Grade.GOOD)
        share = _percent(good, len(grades))
        # Exact, not the rounded share: 1 of 3 (33.333…%) is above a 33.33% limit.
        if good * 100 > scheme.max_good_percent * len(grades):
            allowed = int(scheme.max_good_percent * len(grades) / 100)
            broken.append(
                (
                    "max_good",
                    scheme.max_good_action,
                    _(
                        "评为“好”的有 %(good)s 项，占 %(share)s%%，超过上限 %(max)s%%："
                        "最多可评 %(allowed)s 项为“好”。"
                    )
                    % {
                        "good": good,
                        "share": share,
                        "max": f"{scheme.max_good_percent.normalize():f}",  # 30, not 3E+1
                        "allowed": allowed,
                    },
                )
            )
    if scheme.identical_grades_action != RuleAction.OFF and len(votes) > 1 and len(set(votes)) == 1:
        broken.append(
            (
                "identical",
                scheme.identical_grades_action,
                _("所有单位的评价都是“%(grade)s”：请区分各单位的实际表现。")
                % {"grade": Grade(votes[0]).label},
            )
        )
    return broken


def missing_cells(credential: Credential, drafts: dict[Cell, str] | None = None) -> list[Cell]:
    drafts = drafts_for(credential) if drafts is None else drafts
    return [cell for cell in form_cells(credential) if cell not in drafts]


@transaction.atomic
def ballot_submit(*, credential: Credential) -> Submission:
    """Turn the drafts into the final ballot, once. A double tap, a retry or a second tablet
    gets the same receipt, never a second ballot: the credential row is locked, and it is
    marked used in the same transaction that inserts the ballot."""
    locked = _lock(credential)
    if locked.submitted_at is not None and locked.receipt:
        return Submission(receipt=locked.receipt, flags=[], repeated=True)
    # The row is locked already: checking it again costs no second SELECT ... FOR UPDATE.
    _require_open(locked)
    scheme = locked.session.scheme
    drafts = drafts_for(locked)
    cells = form_cells(locked)
    missing = [cell for cell in cells if cell not in drafts]
    if missing:
        raise ValidationError(
            _("还有 %(n)s 项没有评价（弃权也需选择），请完成后再提交。") % {"n": len(missing)}
        )
    broken = ballot_rule_results(scheme, [drafts[cell] for cell in cells])
    rejected = [message for _rule, action, message in broken if action == RuleAction.REJECT]
    if rejected:
        raise ValidationError(rejected)
    flags = [rule for rule, action, _message in broken if action == RuleAction.FLAG]

    ballot = Ballot.objects.create(
        session=locked.session,
        group=locked.group,
        holder_unit=locked.holder_unit,
        credential=None if scheme.anonymous else locked,
        source=Ballot.Source.TABLET,
        flags=flags,
    )
    BallotGrade.objects.bulk_create(
        [
            BallotGrade(
                ballot=ballot,
                unit_id=cell.unit_id,
                criterion_id=cell.criterion_id,
                grade=drafts[cell],
            )
            for cell in cells
        ]
    )
    for _attempt in range(10):
        receipt = new_code()  # same alphabet and length as a code
        try:
            with transaction.atomic():
                updated = Credential.objects.filter(pk=locked.pk, submitted_at__isnull=True).update(
                    submitted_at=timezone.now(), receipt=receipt
                )
            break
        except IntegrityError:  # a receipt clash: 40 bits make it vanishingly rare
            continue
    else:
        raise RuntimeError("could not find a free receipt code after 10 attempts")
    if updated != 1:
        # Unreachable while the row lock holds; if it ever is, nothing of this ballot stays.
        raise IntegrityError("credential was used concurrently")
    DraftGrade.objects.filter(credential=locked).delete()
    return Submission(receipt=receipt, flags=flags, repeated=False)
