"""What the big screen shows (docs/design.md §6 and §8).

- ``screen_signature(token)`` one query: the Stage's row (its version moves with every change
  made through meeting/stage.py), its session's status and last change, and the few
  aggregates that change what the screen shows without a write to the Stage (credentials
  issued and used, votes on the question on screen, the latest published result). Aggregates
  of other modes are not computed: each sits in a CASE on the mode, which the database
  evaluates lazily.
- ``screen_etag(signature)`` the fragment's ETag from that row alone, so an unchanged poll is
  answered 304 without rendering anything.
- ``stage_for_render(signature)`` and ``screen_context(stage)`` what the template needs for
  the current mode.

Nothing private reaches the context: no credential code, no holder's name, no ballot. A
question's asker is the label typed with it, or else the rater group's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Count, IntegerField, Max, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import get_language

from core.polling import etag_of
from meeting.agenda import next_waiting
from meeting.countdown import countdown
from meeting.models import Question, Satisfaction, SatisfactionVote, Stage
from meeting.selectors import Tally, tally
from projects import screen as project_slides
from scoring.document import BAND_LABELS
from scoring.models import ResultSnapshot
from scoring.selectors import current_snapshot
from sessions.ballots import bar_step, participation
from sessions.models import Credential, ReviewSession

Mode = Stage.Mode

# Part of the ETag: bump it when the screen's markup changes, so that screens holding the old
# markup fetch the new one although nothing on stage changed.
FRAGMENT_VERSION = "4"

# The ranking is read from the back of a hall: type of at least 32 px at 1920×1080 (names and
# scores), long names wrapping instead of being cut. That fits two columns of this many lines
# (a category's heading counts as one; a few wrapped names still fit); more units turn into
# pages the screen shows in turn.
# A 回头看 lists this many commitments at a size read from the back of the hall (with the
# tally beside them); more are counted.
RECHECK_LINES = 6
RANKING_COLUMN_SLOTS = 13
RANKING_COLUMNS_PER_PAGE = 2


# ---------------------------------------------------------------- the one query and the ETag


def _only_in(mode: str, expression) -> Case:
    return Case(When(mode=mode, then=expression), default=Value(None), output_field=IntegerField())


def _count(queryset, key: str) -> Coalesce:
    counted = queryset.order_by().values(key).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), Value(0))


# A stand-in for the token while the statement is compiled; replaced by the real one per call.
_STAND_IN = "\x00screen-token\x00"
_COMPILED: dict[str, tuple[str, tuple]] = {}
_COLUMNS = (
    "pk",
    "session_id",
    "mode",
    "version",
    "session__status",
    "session__updated_at",
    "question_on_screen__status",
    "question_on_screen__vote",
    "sig_issued",
    "sig_submitted",
    "sig_votes",
    "sig_snapshot",
)


@dataclass(frozen=True)
class ScreenSignature:
    """What the ETag is made of, read by one query: the Stage's row, its session's status and
    last change, and the aggregates of the current mode (None for the other modes)."""

    stage_id: int
    session_id: int
    mode: str
    values: tuple


def _signature_queryset(token: str):
    session_id = OuterRef("session_id")
    credentials = Credential.objects.filter(session_id=session_id)
    return (
        Stage.objects.filter(screen_token=token)
        .annotate(
            sig_issued=_only_in(
                Mode.PARTICIPATION,
                _count(credentials.filter(status=Credential.Status.ACTIVE), "session_id"),
            ),
            sig_submitted=_only_in(
                Mode.PARTICIPATION,
                _count(credentials.filter(submitted_at__isnull=False), "session_id"),
            ),
            sig_votes=_only_in(
                Mode.QUESTION,
                _count(
                    SatisfactionVote.objects.filter(question_id=OuterRef("question_on_screen_id")),
                    "question_id",
                ),
            ),
            sig_snapshot=_only_in(
                Mode.RANKING,
                Subquery(
                    ResultSnapshot.objects.filter(session_id=session_id)
                    .order_by()
                    .values("session_id")
                    .annotate(n=Max("number"))
                    .values("n")[:1]
                ),
            ),
        )
        .values_list(*_COLUMNS)
    )


def _compiled() -> tuple[str, tuple]:
    """The signature's SQL, compiled by the ORM once per process and database: compiling the
    annotations cost ~5 ms of CPU per poll, ten times the query itself (bench/bench_screen.py)."""
    key = f"{connection.alias}:{connection.vendor}"
    if key not in _COMPILED:
        _COMPILED[key] = _signature_queryset(_STAND_IN).query.sql_with_params()
    return _COMPILED[key]


def screen_signature(token: str) -> ScreenSignature | None:
    """The screen holding ``token``, as its ETag sees it; None for a token nobody holds. One
    query, without the ORM's compilation (values come as the database driver gives them:
    they only need to be stable, not typed)."""
    sql, params = _compiled()
    with connection.cursor() as cursor:
        cursor.execute(sql, [token if p == _STAND_IN else p for p in params])
        row = cursor.fetchone()
    if row is None:
        return None
    stage_id, session_id, mode, *values = row
    return ScreenSignature(stage_id, session_id, mode, tuple(str(v) for v in values))


# What each mode reads with the Stage, in the same query.
_RELATED = {
    Mode.SPEAKER: ("current_item__participant__unit",),
    Mode.QUESTION: ("question_on_screen__unit", "question_on_screen__credential__group"),
}


def stage_for_render(signature: ScreenSignature) -> Stage:
    """The Stage with its session and, for the speaker and the question, the item or the
    question on screen (one query)."""
    related = ("session", *_RELATED.get(signature.mode, ()))
    return Stage.objects.select_related(*related).get(pk=signature.stage_id)


def screen_etag(signature: ScreenSignature) -> str:
    """A hash of everything the fragment shows; 304 means exactly "same markup"."""
    projects = None
    if signature.mode == Mode.PROJECTS:
        # The projects' own signature takes a session; its primary key is all it reads.
        projects = project_slides.signature(ReviewSession(pk=signature.session_id))
    key = (FRAGMENT_VERSION, get_language(), signature.mode, signature.values, projects)
    return etag_of(key)


# ---------------------------------------------------------------- what each mode shows


@dataclass(frozen=True)
class RankingRow:
    rank: int | None
    name: str
    total: str | None  # as published, two decimals
    band: str | None
    band_code: str | None


@dataclass(frozen=True)
class RankingCategory:
    name: str
    rows: list[RankingRow]


@dataclass(frozen=True)
class RankingBlock:
    """A category's rows in one column; ``continued`` when the category began in the column
    before (its heading then says 续)."""

    name: str
    continued: bool
    rows: list[RankingRow]


def ranking_pages(
    categories: list[RankingCategory],
    *,
    slots: int = RANKING_COLUMN_SLOTS,
    columns: int = RANKING_COLUMNS_PER_PAGE,
) -> list[list[list[RankingBlock]]]:
    """Pages of columns of blocks, for type large enough to read across a hall. A category
    that does not fit what is left of a column starts a new one (so 8 towns and 12
    departments stand side by side, one column each); one longer than a column goes on in
    the next, its heading repeated; a heading never ends a column alone."""
    done: list[list[RankingBlock]] = []
    column: list[RankingBlock] = []
    used = 0
    for category in categories:
        rows, continued = list(category.rows), False
        if used and used + 1 + len(rows) > slots:
            done.append(column)
            column, used = [], 0
        while rows:
            if slots - used < 2:
                done.append(column)
                column, used = [], 0
            take = rows[: slots - used - 1]
            column.append(RankingBlock(category.name, continued, take))
            used += 1 + len(take)
            rows, continued = rows[len(take) :], True
    if column:
        done.append(column)
    return [done[i : i + columns] for i in range(0, len(done), columns)]


def ranking(session: ReviewSession) -> tuple[ResultSnapshot | None, list[RankingCategory]]:
    """The published snapshot's rows per category (read as scoring/document.py reads them)."""
    snapshot = current_snapshot(session)
    if snapshot is None:
        return None, []
    labels = snapshot.labels
    categories = []
    for category in snapshot.result["categories"]:
        rows = [
            RankingRow(
                rank=row["rank"],
                name=labels.get("units", {}).get(row["unit"], row["unit_name"]),
                total=row["total"],
                band=str(BAND_LABELS[row["band"]]) if row["band"] else None,
                band_code=row["band"],
            )
            for row in category["rows"]
        ]
        if not rows:
            continue  # a category with no participating unit has nothing to announce
        name = labels.get("categories", {}).get(category["category"], category["name"])
        categories.append(RankingCategory(name=name, rows=rows))
    return snapshot, categories


def _question(stage: Stage) -> Question | None:
    question = stage.question_on_screen
    # A question taken back by moderation never shows, whatever the stage still points at.
    if question is None or question.status in (Question.Status.REJECTED, Question.Status.MERGED):
        return None
    return question


@dataclass(frozen=True)
class TallyRow:
    choice: str
    label: str
    count: int
    percent: int  # of the votes cast, whole percent; the rows add up to 100
    bar: int  # the bar's width in 5 % steps


def tally_rows(counts: Tally) -> list[TallyRow]:
    return [
        TallyRow(choice, str(label), n, percent, bar_step(n, counts.votes))
        for (choice, label), n, percent in zip(
            Satisfaction.choices, counts.counts, counts.percents, strict=True
        )
    ]


def asker_label(question: Question) -> str:
    """The asker as typed by staff (e.g. 人大代表 张某), else the asking credential's group;
    never the credential's code or holder."""
    if question.asker:
        return question.asker
    if question.credential_id is not None:
        return question.credential.group.name
    return ""


def screen_context(stage: Stage, now=None) -> dict:
    session = stage.session
    context = {"stage": stage, "session": session, "mode": stage.mode}
    if stage.mode == Mode.SPEAKER:
        item = stage.current_item
        context.update(
            item=item,
            countdown=countdown(item, now),
            next_item=next_waiting(session, item),
        )
    elif stage.mode == Mode.QUESTION:
        question = _question(stage)
        counts = None
        if question is not None and question.vote != Question.Vote.NONE:
            counts = tally(question)
        context.update(
            question=question,
            asker=asker_label(question) if question else "",
            tally=counts,
            tally_rows=tally_rows(counts) if counts else [],
        )
        if question is not None and question.kind == Question.Kind.RECHECK:
            # 回头看: the commitments themselves, done or not, instead of a question's words
            # (docs/meeting.md, "回头看"); a long list shows its first lines and a count.
            items = list(question.recheck_items.order_by("due_date", "pk"))
            context.update(
                recheck_items=items[:RECHECK_LINES],
                recheck_more=max(0, len(items) - RECHECK_LINES),
                recheck_done=sum(1 for item in items if item.done_at is not None),
                recheck_total=len(items),
            )
    elif stage.mode == Mode.PARTICIPATION:
        rows = participation(session)
        context.update(rows=rows[:-1], total=rows[-1])
    elif stage.mode == Mode.PROJECTS:
        colour = stage.project_colour
        context.update(slides=project_slides.slides(session, colour), colour=colour)
    elif stage.mode == Mode.RANKING:
        snapshot, categories = ranking(session)
        context.update(
            snapshot=snapshot,
            categories=categories,
            ranking_pages=ranking_pages(categories),
        )
    return context
