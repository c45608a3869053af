"""综合评议 on tablets: what a credential may rate, drafts saved on every tap, and the
one-time submission. docs/design.md §4.2 (who may rate whom) and 4.9 (ballot rules).

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

from . import lifecycle, rater_sql
from .credentials import CODE_LENGTH, new_code
from .models import (
    Ballot,
    BallotGrade,
    Credential,
    DraftGrade,
    Grade,
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


@dataclass(frozen=True)
class FormUnit:
    """A unit as the rating form shows it: plain values, read in one query."""

    pk: int
    name: str
    category_id: int
    category_name: str


@dataclass(frozen=True)
class FormLayout:
    """What one credential's form asks: its units in order, and the criteria (none when the
    session grades each unit as a whole)."""

    units: tuple[FormUnit, ...]
    criteria: tuple[tuple[int, str], ...]

    @property
    def criterion_ids(self) -> list[int | None]:
        return [pk for pk, _name in self.criteria] or [None]

    @property
    def cells(self) -> list[Cell]:
        return [Cell(u.pk, c) for u in self.units for c in self.criterion_ids]


def form_layout(credential: Credential) -> FormLayout:
    """The participating units this credential rates, in category order then speaking order:
    never the holder's own unit, and with 交叉评议 on, towns rate only departments and
    departments only towns (docs/design.md §4.2). This is the one place those rules live.

    One statement returning plain values: the form page, every tap and the submission read
    it (sessions/rater_sql.py says why it is written by hand)."""
    return _layout(credential.session_id, credential.holder_unit_id, _cross_side(credential))


def _cross_side(credential: Credential) -> str | None:
    """With 交叉评议 on, the category side this credential's group rates; else None."""
    side = credential.group.side
    if not credential.session.scheme.cross_rating:
        return None
    if side == UnitCategory.Side.TOWN:
        return UnitCategory.Side.DEPARTMENT
    if side == UnitCategory.Side.DEPARTMENT:
        return UnitCategory.Side.TOWN
    return None


def _layout(session_id: int, holder_unit_id: int | None, side: str | None) -> FormLayout:
    rows = rater_sql.layout_rows(session_id=session_id, holder_unit_id=holder_unit_id, side=side)
    units = tuple(dict.fromkeys(FormUnit(*row[:4]) for row in rows))
    criteria = tuple(dict.fromkeys((row[4], row[5]) for row in rows if row[4] is not None))
    return FormLayout(units=units, criteria=criteria)


def group_layout(credential: Credential) -> FormLayout:
    """The form of the credential's group as if it had no own unit: what every anonymous
    ballot of the group is stored as, its own unit's cells padded with 弃权
    (docs/anonymity.md, "what a ballot row holds")."""
    return _layout(credential.session_id, None, _cross_side(credential))


def rateable_units(credential: Credential) -> list[Unit]:
    """The units of ``form_layout`` as model instances (with their category), in form order."""
    ids = [unit.pk for unit in form_layout(credential).units]
    units = Unit.objects.select_related("category").in_bulk(ids)
    return [units[pk] for pk in ids]


def form_cells(credential: Credential) -> list[Cell]:
    return form_layout(credential).cells


# ---------------------------------------------------------------- guards


def rating_state(credential: Credential | None) -> str:
    """unknown / rehearsing / revoked / submitted / not_open / ended / open."""
    if credential is None:
        return "unknown"
    if credential.session.rehearsal_started_at is not None and not credential.rehearsal:
        # A real code during a rehearsal (docs/rehearsal.md): it must not be used, or its
        # ballot would be deleted by the reset.
        return "rehearsing"
    if credential.status == Credential.Status.REVOKED:
        return "revoked"
    if credential.submitted_at is not None:
        return "submitted"
    if lifecycle.has_ended(credential.session):
        return "ended"
    if not lifecycle.can_rate(credential.session):
        return "not_open"
    return "open"


_STATE_MESSAGES = {
    "revoked": gettext_noop("这张评议卡已被作废，请向会务人员领取新卡。"),
    "submitted": gettext_noop("此评议码已提交评议表，不能再修改。"),
    "not_open": gettext_noop("评议尚未开放，请在主持人宣布开始评议后再填写。"),
    "ended": gettext_noop("评议已经结束，不再接收评议表。"),
    "unknown": gettext_noop("评议码无效。"),
    "rehearsing": gettext_noop("正在彩排，评议尚未开始。"),
}


def _lock(credential: Credential) -> Credential:
    """Re-read the credential under a row lock (held until the transaction ends)."""
    return rater_sql.credential_with_session(pk=credential.pk, lock=True)


def state_message(state: str) -> str:
    """Why a card in ``state`` (not "open") cannot rate, in the rater's language."""
    return _(_STATE_MESSAGES[state])


def require_open(credential: Credential) -> Credential:
    """RatingClosed, with the reason, unless ``credential`` can rate now."""
    state = rating_state(credential)
    if state != "open":
        raise RatingClosed(state_message(state))
    return credential


def _lock_open(credential: Credential) -> Credential:
    """Re-read the credential under a row lock and require that it can rate now."""
    return require_open(_lock(credential))


def credential_open(*, credential: Credential) -> Credential:
    """Record the first time a credential's form was opened (the organisers' monitor counts it)."""
    if credential.opened_at is None:
        now = timezone.now()
        if rater_sql.credential_mark_opened(credential_id=credential.pk, at=now):
            credential.opened_at = now
        else:  # another tablet opened it first
            credential.refresh_from_db(fields=["opened_at"])
    return credential


# ---------------------------------------------------------------- drafts


def drafts_for(credential: Credential) -> dict[Cell, str]:
    rows = rater_sql.draft_rows(credential_id=credential.pk)
    return {Cell(unit_id, criterion_id): grade for unit_id, criterion_id, grade in rows}


@dataclass(frozen=True)
class Tap:
    """A saved tap, with the form it was checked against (so the answer needs no re-read)."""

    cell: Cell
    grade: str
    layout: FormLayout


@transaction.atomic
def draft_grade_set(
    *, credential: Credential, unit_id: int, criterion_id: int | None, grade: str
) -> Tap:
    """Save one tap. A unit or criterion this credential may not rate, or a grade outside
    好/较好/一般/差/弃权, is refused and nothing is stored."""
    credential = _lock_open(credential)
    layout = form_layout(credential)
    cell = Cell(unit_id=unit_id, criterion_id=criterion_id)
    _check_tap(layout, cell, grade)
    _save_tap(credential, cell, grade)
    return Tap(cell=cell, grade=grade, layout=layout)


def _check_tap(layout: FormLayout, cell: Cell, grade: str) -> None:
    if grade not in Grade.values:
        raise ValidationError(_("无效的评价等次。"))
    if cell not in set(layout.cells):
        raise ValidationError(_("此单位不在您的评议表上。"))


def _save_tap(locked: Credential, cell: Cell, grade: str) -> None:
    # The credential row is locked: nobody else can write this credential's drafts meanwhile,
    # so an UPDATE then, only if it found nothing, an INSERT is safe (and cheaper than
    # update_or_create's savepoint and SELECT ... FOR UPDATE).
    updated = DraftGrade.objects.filter(
        credential_id=locked.pk, unit_id=cell.unit_id, criterion_id=cell.criterion_id
    ).update(grade=grade, updated_at=timezone.now())
    if not updated:
        DraftGrade.objects.create(
            credential_id=locked.pk,
            unit_id=cell.unit_id,
            criterion_id=cell.criterion_id,
            grade=grade,
        )


@transaction.atomic
def drafts_apply(*, credential: Credential, taps: list[tuple[Cell, str]]) -> FormLayout:
    """Save the taps a tablet kept while it was offline, in the order they were made, all or
    none: one tap this credential may not make refuses the batch and nothing is stored
    (docs/tablets.md, "Offline")."""
    locked = _lock_open(credential)
    layout = form_layout(locked)
    for cell, grade in taps:
        _check_tap(layout, cell, grade)
    for cell, grade in dict(taps).items():  # the last tap of a cell is the one that counts
        _save_tap(locked, cell, grade)
    return layout


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


RECEIPT_ATTEMPTS = 10


def ballot_submit(*, credential: Credential) -> Submission:
    """Turn the drafts into the final ballot, once. A double tap, a retry or a second tablet
    gets the same receipt, never a second ballot: the credential row is locked, and it is
    marked used in the same transaction that inserts the ballot.

    The receipt is drawn before the transaction; if it clashes with another (40 bits: about
    one chance in ten million per hall of 500), the whole transaction is rolled back and
    tried again with a new one. That costs nothing in the usual case, where a savepoint
    around the receipt would cost two statements on every submission."""
    for _attempt in range(RECEIPT_ATTEMPTS):
        receipt = new_code()  # same alphabet and length as a code
        try:
            return _ballot_submit(credential=credential, receipt=receipt)
        except IntegrityError:
            if not Credential.objects.filter(receipt=receipt).exists():
                raise
    raise RuntimeError(f"could not find a free receipt code after {RECEIPT_ATTEMPTS} attempts")


@transaction.atomic
def _ballot_submit(*, credential: Credential, receipt: str) -> Submission:
    locked = _lock(credential)
    if locked.submitted_at is not None and locked.receipt:
        return Submission(receipt=locked.receipt, flags=[], repeated=True)
    # The row is locked already: checking it again costs no second SELECT ... FOR UPDATE.
    require_open(locked)
    scheme = locked.session.scheme
    drafts = drafts_for(locked)
    own_unit = locked.holder_unit_id
    if scheme.anonymous and own_unit is not None:
        # Stored as the group's whole form, the own unit's cells as 弃权 (not a vote, 4.1):
        # a ballot lacking one unit would name its rater's unit (docs/anonymity.md).
        stored_cells = group_layout(locked).cells
        cells = [cell for cell in stored_cells if cell.unit_id != own_unit]
    else:
        stored_cells = cells = form_layout(locked).cells
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

    # Written with rater_sql: the ORM's INSERT and UPDATE machinery cost more CPU than the
    # statements themselves, on the one request every rater makes (docs/benchmarks.md).
    # Anonymous: neither the credential nor the holder's unit is kept with the ballot; the
    # unit has done its work above (section 4.2) and would narrow the rater to the unit's
    # few cards (docs/anonymity.md, "what a ballot row holds").
    ballot = Ballot(
        session_id=locked.session_id,
        group_id=locked.group_id,
        holder_unit_id=None if scheme.anonymous else locked.holder_unit_id,
        credential=None if scheme.anonymous else locked,
        source=Ballot.Source.TABLET,
        flags=flags,
    )
    rater_sql.insert([ballot])
    rater_sql.insert(
        [
            BallotGrade(
                ballot_id=ballot.pk,
                unit_id=cell.unit_id,
                criterion_id=cell.criterion_id,
                grade=drafts.get(cell, Grade.ABSTAIN),
            )
            for cell in stored_cells
        ]
    )
    updated = rater_sql.credential_mark_submitted(
        credential_id=locked.pk, at=timezone.now(), receipt=receipt
    )
    if updated != 1:
        # Unreachable while the row lock holds; if it ever is, nothing of this ballot stays.
        raise IntegrityError("credential was used concurrently")
    rater_sql.drafts_delete(credential_id=locked.pk)
    return Submission(receipt=receipt, flags=flags, repeated=False)
