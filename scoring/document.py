"""The result as people read it: one row generator for every format (pretix's exporter pattern).

``build(session)`` gives a :class:`ResultDocument`: the published snapshot when there is one,
otherwise a freshly computed preview (``preview`` is then True and every format must say
预览（未发布）). The results page, the per-unit report card, the xlsx and the PDF all read this,
so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from meeting.followup_selectors import follow_ups_by_unit
from meeting.selectors import Tally, satisfaction_by_unit
from sessions.ballots import flag_labels, participation
from sessions.models import Ballot, ReviewSession, ScoringScheme, Unit
from sessions.words import scheme_in_words

from . import engine, selectors, services
from .models import LeaderComment, ResultSnapshot

COMPONENT_LABELS = {
    "review": gettext_lazy("综合评议得分"),
    "target": gettext_lazy("目标考核"),
    "daily": gettext_lazy("日常考核"),
    "satisfaction": gettext_lazy("问政满意度"),
    "leader_comment": gettext_lazy("书面点评"),
}
BAND_LABELS = {
    engine.BAND_EXCELLENT: gettext_lazy("优秀"),
    engine.BAND_GOOD: gettext_lazy("良好"),
    engine.BAND_AVERAGE: gettext_lazy("一般"),
    engine.BAND_POOR: gettext_lazy("较差"),
}
BAND_RULE_LABELS = {
    engine.RULE_THRESHOLD: gettext_lazy("分数线"),
    engine.RULE_CAP: gettext_lazy("优秀比例限制"),
    engine.RULE_CAP_TIE: gettext_lazy("并列（优秀比例边界）"),
}
GRADE_COLUMNS = (
    ("good", gettext_lazy("好")),
    ("fairly_good", gettext_lazy("较好")),
    ("average", gettext_lazy("一般")),
    ("poor", gettext_lazy("差")),
    ("abstain", gettext_lazy("弃权")),
)


def flag_text(code: str, labels: dict) -> str:
    """An engine flag (``group_without_data:12``) as a sentence a supervisor can read."""
    name, _sep, arg = code.partition(":")
    groups = labels.get("groups", {})
    if name == "group_without_data":
        return _("%(group)s有效票不足，不计入") % {"group": groups.get(arg, arg)}
    if name == "weights_renormalised":
        return _("权重已按有数据的评议组重新折算")
    if name == "no_valid_votes":
        return _("无有效评议")
    if name == "own_unit_votes_ignored":
        return _("对本单位的 %(n)s 票评价已忽略") % {"n": arg}
    if name == "missing_component":
        label = COMPONENT_LABELS.get(arg, arg)
        return _("缺少%(component)s得分，未计算总分") % {"component": label}
    if name == "tie_broken":
        return _("同分，按规则比较后排定名次")
    if name == "cap_tie":
        return _("与优秀比例边界的单位并列，同为优秀")
    if name == "capped":
        return _("达到优秀分数线，但超出优秀比例，定为良好")
    return code


class ListedBallot(NamedTuple):
    """A void or flagged ballot as the report lists it, with its id for the ballot's page."""

    short_id: str
    note: object  # void: the written reason; flagged: the flags as sentences
    source: str
    pk: object


@dataclass(frozen=True)
class GroupCell:
    key: str
    name: str
    votes: int
    counts: dict  # grade -> count (好/较好/一般/差/弃权)
    score: Decimal | None
    has_data: bool
    trimmed: bool


@dataclass(frozen=True)
class CardComment:
    """分管领导书面点评 as the report card shows it."""

    author: str
    text: str
    score: Decimal | None


def card_extras(session: ReviewSession) -> tuple[dict, dict, dict]:
    """Unit key -> CardComment, unit key -> follow-ups and unit key -> the satisfaction votes
    on its answers at the meeting, for every card of the document at once (three queries,
    whatever the number of units: the PDF prints 40 cards)."""
    comments = {
        str(c.unit_id): CardComment(author=c.author, text=c.text, score=c.score)
        for c in LeaderComment.objects.filter(session=session).only(
            "unit_id", "author", "text", "score"
        )
    }
    follow_ups = {str(k): tuple(v) for k, v in follow_ups_by_unit(session).items()}
    satisfaction = {str(k): v for k, v in satisfaction_by_unit(session).items()}
    return comments, follow_ups, satisfaction


@dataclass(frozen=True)
class DocRow:
    unit: str  # unit key (str of the Unit pk)
    name: str
    rank: int | None
    review: Decimal | None
    components: dict  # component key -> Decimal | None (weight > 0 only, review included)
    bonus: Decimal | None
    bonus_reasons: list
    total: Decimal | None
    band: str | None  # 中文 label
    band_code: str | None
    band_rule: str | None  # 中文: which rule produced the band
    groups: list  # GroupCell, in the groups' order
    good_votes: int
    valid_votes: int
    flags: list  # sentences
    flag_codes: list
    previous_rank: int | None = None
    rank_change: int | None = None  # positive: up that many places since last year
    # The report card's 分管领导书面点评 and 督办事项: current records, not part of the snapshot
    # (a comment's score is; the card shows the component as the result computed it).
    leader_comment: CardComment | None = None
    follow_ups: tuple = ()  # meeting.followup_selectors.CardFollowUp, in due-date order
    # The satisfaction votes on the unit's answers at the meeting (现场问政), current as well.
    satisfaction: Tally | None = None


@dataclass(frozen=True)
class DocCategory:
    key: str
    name: str
    unit_count: int
    excellent_allowed: int | None
    rows: list
    excellent: list  # 优秀单位 names, in rank order
    advanced: list  # 先进单位 (良好) names, in rank order


@dataclass(frozen=True)
class ResultDocument:
    session: ReviewSession
    preview: bool
    snapshot: ResultSnapshot | None
    inputs_hash: str
    engine_version: str
    generated_at: datetime
    scheme_words: list
    groups: list  # (key, name)
    components: list  # (key, label) of components with weight > 0
    categories: list
    ballots_used: int
    ballots_void: int
    void_ballots: list  # ListedBallot, note = the reason
    flagged_ballots: list  # ListedBallot, note = the flag sentences
    participation: list  # sessions.ballots.Participation rows, total last
    footnotes: list  # sentences for the report's foot
    # Computed while a rehearsal runs (docs/rehearsal.md): every format says 彩排 instead of
    # 预览（未发布）, and the result can never be published.
    rehearsal: bool = False

    @property
    def preview_label(self) -> str:
        if self.rehearsal:
            return _("彩排数据，不计入结果")
        return _("预览（未发布）")

    @property
    def status_label(self) -> str:
        if self.preview:
            return self.preview_label
        return _("第 %(n)s 版") % {"n": self.snapshot.number}

    @property
    def row_count(self) -> int:
        return sum(len(category.rows) for category in self.categories)

    def rows(self):
        for category in self.categories:
            yield from category.rows

    def row(self, unit_key: str) -> DocRow:
        for row in self.rows():
            if row.unit == unit_key:
                return row
        raise KeyError(unit_key)


def _previous_ranks(session: ReviewSession) -> dict[int, int]:
    """OrgUnit id -> rank in the same kind of session of the same district the year before
    (published only). Through the OrgUnit, never the name (docs/design.md, "OrgUnit"): a
    unit renamed since keeps its history, and two districts' 城关镇 are two units."""
    previous = selectors.previous_session(session)
    snapshot = selectors.current_snapshot(previous) if previous else None
    if snapshot is None:
        return {}
    ranks = {
        row["unit"]: row["rank"]
        for category in snapshot.result["categories"]
        for row in category["rows"]
        if row["rank"] is not None
    }
    org_units = Unit.objects.filter(session=previous, pk__in=ranks).values_list("pk", "org_unit")
    return {org_unit: ranks[str(pk)] for pk, org_unit in org_units}


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def build(session: ReviewSession, *, computed: services.Computed | None = None) -> ResultDocument:
    """The published snapshot if there is one, else a preview computed now."""
    snapshot = selectors.current_snapshot(session)
    if snapshot is not None:
        result, labels = snapshot.result, snapshot.labels
        inputs_hash, version = snapshot.inputs_hash, snapshot.engine_version
        words = snapshot.scheme.get("words", [])
        components = [
            key
            for key, name in selectors.COMPONENT_FIELDS.items()
            if Decimal(snapshot.scheme.get(name) or 0) > 0
        ]
    else:
        computed = computed or services.compute(session)
        result, labels = computed.result.to_dict(), computed.labels
        inputs_hash, version = computed.inputs_hash, engine.ENGINE_VERSION
        scheme = ScoringScheme.objects.get(session=session)
        words = [
            str(w)
            for w in scheme_in_words(
                scheme, list(session.rater_groups.all()), list(session.criteria.all())
            )
        ]
        components = [k for k, v in computed.inputs.scheme.components.items() if v > 0]

    previous = _previous_ranks(session)
    org_unit_of = (
        {
            str(pk): org_unit
            for pk, org_unit in Unit.objects.filter(session=session).values_list("pk", "org_unit")
        }
        if previous
        else {}
    )
    comments, follow_ups, satisfaction = card_extras(session)
    group_names = labels.get("groups", {})
    categories = []
    for category in result["categories"]:
        rows = []
        for row in category["rows"]:
            name = labels.get("units", {}).get(row["unit"], row["unit_name"])
            before = previous.get(org_unit_of.get(row["unit"]))
            rows.append(
                DocRow(
                    unit=row["unit"],
                    name=name,
                    rank=row["rank"],
                    review=_decimal(row["review"]),
                    components={k: _decimal(v) for k, v in row["components"].items()},
                    bonus=_decimal(row["bonus"]),
                    bonus_reasons=list(row["bonus_reasons"]),
                    total=_decimal(row["total"]),
                    band=str(BAND_LABELS[row["band"]]) if row["band"] else None,
                    band_code=row["band"],
                    band_rule=str(BAND_RULE_LABELS[row["band_rule"]]) if row["band_rule"] else None,
                    groups=[
                        GroupCell(
                            key=g["group"],
                            name=group_names.get(g["group"], g["group"]),
                            votes=g["votes"],
                            counts={grade: g[grade] for grade, _label in GRADE_COLUMNS},
                            score=_decimal(g["score"]),
                            has_data=g["has_data"],
                            trimmed=g["trimmed"],
                        )
                        for g in row["groups"]
                    ],
                    good_votes=row["good_votes"],
                    valid_votes=row["valid_votes"],
                    flags=[flag_text(code, labels) for code in row["flags"]],
                    flag_codes=list(row["flags"]),
                    previous_rank=before,
                    rank_change=(before - row["rank"]) if before and row["rank"] else None,
                    leader_comment=comments.get(row["unit"]),
                    follow_ups=follow_ups.get(row["unit"], ()),
                    satisfaction=satisfaction.get(row["unit"]),
                )
            )
        if not rows:
            # A category no unit takes part in (its units were not drawn, or it was set up and
            # never used) has nobody to rank or award: it gets no table, no awards line and no
            # sheet in any file (docs/design.md §5). The snapshot keeps it as computed.
            continue
        categories.append(
            DocCategory(
                key=category["category"],
                name=labels.get("categories", {}).get(category["category"], category["name"]),
                unit_count=category["unit_count"],
                excellent_allowed=category["excellent_allowed"],
                rows=rows,
                excellent=[r.name for r in rows if r.band_code == engine.BAND_EXCELLENT],
                advanced=[r.name for r in rows if r.band_code == engine.BAND_GOOD],
            )
        )

    ballots = Ballot.objects.filter(session=session)
    void = [
        ListedBallot(b.pk.hex[:8], b.void_reason, b.get_source_display(), b.pk)
        for b in ballots.filter(voided_at__isnull=False).order_by("id")
    ]
    flagged = [
        ListedBallot(b.pk.hex[:8], flag_labels(b.flags), b.get_source_display(), b.pk)
        for b in ballots.filter(voided_at__isnull=True).exclude(Q(flags=[])).order_by("id")
    ]
    footnotes = [
        _("分数按四舍五入保留两位小数；同分同名次，后面的名次顺延。"),
        _("输入数据 SHA-256：%(hash)s（%(engine)s）") % {"hash": inputs_hash, "engine": version},
    ]
    if void:
        footnotes.append(_("作废评议表 %(n)s 张，不计入结果（见作废清单）。") % {"n": len(void)})
    if snapshot is not None and snapshot.number > 1:
        footnotes.append(
            _("本结果为第 %(n)s 版（更正）：%(reason)s")
            % {"n": snapshot.number, "reason": snapshot.reason}
        )
    return ResultDocument(
        session=session,
        preview=snapshot is None,
        snapshot=snapshot,
        inputs_hash=inputs_hash,
        engine_version=version,
        generated_at=snapshot.created_at if snapshot else timezone.now(),
        scheme_words=words,
        groups=list(group_names.items()),
        components=[(key, str(COMPONENT_LABELS[key])) for key in components],
        categories=categories,
        ballots_used=result["ballots_used"],
        ballots_void=result["ballots_void"],
        void_ballots=void,
        flagged_ballots=flagged,
        participation=participation(session),
        footnotes=footnotes,
        rehearsal=snapshot is None and session.in_rehearsal,
    )
