"""The live meeting (docs/design.md §1, 2 and 6).

- Stage: what the hall sees right now (one per session): the agenda item on the timer, the
  question on screen, the big screen's mode, and a version the big screen polls against.
- AgendaItem: one timed segment on stage (a participant's 述职 / 述责 / 述廉, or a free item).
- Question (问政问题) and SatisfactionVote (满意度): asked from a tablet or entered by staff,
  moderated, put on screen, answered, voted on.
- FollowUp (督办事项) and FollowUpUpdate: commitments made on stage, tracked to completion.

Models hold data and constraints only; writes go through meeting/agenda.py, questions.py and
followups.py.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.colours import Colour
from sessions.models import Credential, Participant, ReviewSession, Unit


def new_screen_token() -> str:
    return secrets.token_urlsafe(16)


class Stage(models.Model):
    """What the hall sees: created with the session's first live action, one per session.

    ``version`` goes up with every change the big screen shows (timer, question, tally, mode),
    in the same transaction as the change, so the screen's poll can answer 304 from one
    indexed read (docs/design.md §8)."""

    class Mode(models.TextChoices):
        WELCOME = "welcome", _("会标")
        SPEAKER = "speaker", _("发言计时")
        QUESTION = "question", _("现场问政")
        PARTICIPATION = "participation", _("评议进度")
        PROJECTS = "projects", _("重点项目")
        RANKING = "ranking", _("评议结果")

    session = models.OneToOneField(ReviewSession, on_delete=models.CASCADE, related_name="stage")
    # The projector's read-only link: anyone holding it sees what the hall sees, nothing more.
    screen_token = models.CharField(max_length=32, unique=True, default=new_screen_token)
    mode = models.CharField(
        _("大屏显示"), max_length=16, choices=Mode.choices, default=Mode.WELCOME
    )
    current_item = models.ForeignKey(
        "AgendaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    question_on_screen = models.ForeignKey(
        "Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The project slideshow shows one colour, or every colour when blank.
    project_colour = models.CharField(
        _("项目颜色"), max_length=8, choices=Colour.choices, blank=True
    )
    # Each segment's time limit (述职 is longer than 述廉), as the agenda is generated with
    # them: set from the session's template when the stage is first used (meeting/agenda.py
    # SEGMENT_LIMIT_DEFAULTS), then remembered as the moderator changes them.
    work_limit_seconds = models.PositiveIntegerField(_("述职限时（秒）"), default=300)
    responsibility_limit_seconds = models.PositiveIntegerField(_("述责限时（秒）"), default=300)
    integrity_limit_seconds = models.PositiveIntegerField(_("述廉限时（秒）"), default=300)
    version = models.PositiveBigIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("会场")
        verbose_name_plural = _("会场")

    def __str__(self) -> str:
        return f"{self.session} {self.get_mode_display()}"

    def segment_limit(self, segment: str) -> int:
        """The time limit of a unit's 述职 / 述责 / 述廉 item; free items have their own."""
        return getattr(self, SEGMENT_LIMIT_FIELDS[segment])


# The Stage's field holding each segment's time limit.
SEGMENT_LIMIT_FIELDS = {
    "work": "work_limit_seconds",
    "responsibility": "responsibility_limit_seconds",
    "integrity": "integrity_limit_seconds",
}


class AgendaItem(models.Model):
    """One timed segment on stage.

    The timer is stored as what happened, not as a ticking number: ``elapsed_seconds`` ran in
    earlier runs, and ``started_at`` is when the current run began (None while waiting, paused
    or done). The remaining time is computed from them, so any screen or console that reads it
    agrees, and a reload or a dropped connection loses nothing."""

    class Segment(models.TextChoices):
        WORK = "work", _("述职")
        RESPONSIBILITY = "responsibility", _("述责")
        INTEGRITY = "integrity", _("述廉")
        OTHER = "other", _("其他")

    class State(models.TextChoices):
        WAITING = "waiting", _("未开始")
        RUNNING = "running", _("进行中")
        PAUSED = "paused", _("已暂停")
        DONE = "done", _("已结束")

    session = models.ForeignKey(
        ReviewSession, on_delete=models.CASCADE, related_name="agenda_items"
    )
    participant = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="agenda_items",
        verbose_name=_("述职单位"),
    )
    segment = models.CharField(
        _("环节"), max_length=16, choices=Segment.choices, default=Segment.WORK
    )
    title = models.CharField(_("标题"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"))
    limit_seconds = models.PositiveIntegerField(_("限时（秒）"), default=300)
    extra_seconds = models.PositiveIntegerField(_("延长（秒）"), default=0)
    state = models.CharField(max_length=8, choices=State.choices, default=State.WAITING)
    started_at = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "order"]
        verbose_name = _("议程")
        verbose_name_plural = _("议程")
        constraints = [
            models.UniqueConstraint(fields=["session", "order"], name="agenda_item_order_unique"),
            models.CheckConstraint(
                condition=Q(state="running", started_at__isnull=False)
                | ~Q(state="running") & Q(started_at__isnull=True),
                name="agenda_item_started_only_when_running",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        if self.participant_id is not None:
            return f"{self.participant.unit.name} {self.get_segment_display()}"
        return str(self.get_segment_display())

    @property
    def limit_total(self) -> int:
        return self.limit_seconds + self.extra_seconds

    def elapsed_at(self, now) -> float:
        """Seconds spoken so far, at ``now``."""
        running = (now - self.started_at).total_seconds() if self.started_at else 0.0
        return self.elapsed_seconds + max(running, 0.0)

    def remaining_at(self, now) -> float:
        """Seconds left at ``now``; negative when over time."""
        return self.limit_total - self.elapsed_at(now)


class Question(models.Model):
    """问政问题: from a representative's tablet, or entered by staff (collected before the
    meeting, or from the floor)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("未采纳")
        MERGED = "merged", _("已合并")
        ANSWERED = "answered", _("已答复")

    class Vote(models.TextChoices):
        NONE = "none", _("未开始")
        OPEN = "open", _("投票中")
        CLOSED = "closed", _("投票结束")

    class Kind(models.TextChoices):
        QUESTION = "question", _("问政")
        # 回头看: a unit's commitments from earlier reviews come back for a second
        # satisfaction vote (以评促改, docs/meeting.md "回头看").
        RECHECK = "recheck", _("回头看")

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="questions")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="questions", verbose_name=_("被问单位")
    )
    # Who asked: the representative's credential, or none when staff entered it.
    credential = models.ForeignKey(
        Credential, null=True, blank=True, on_delete=models.PROTECT, related_name="questions"
    )
    asker = models.CharField(_("提问人"), max_length=100, blank=True)
    # What the hall sees: the asker's words, or the moderator's edit of them before the
    # question first went on the big screen.
    text = models.TextField(pgettext_lazy("question", "问题"), max_length=500)
    # The words as asked, never changed: staff see them as 原文 beside an edited ``text``.
    original_text = models.TextField(_("原文"), max_length=500, blank=True)
    # When the question first went on the big screen: from then on its wording is what the
    # hall has read and cannot be edited.
    shown_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    reject_reason = models.CharField(_("未采纳理由"), max_length=200, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
        verbose_name=_("合并到"),
    )
    # Position in the moderator's queue (approved questions are asked in this order).
    queue_order = models.PositiveIntegerField(default=0)
    # Submitted before the session went live (会前征集).
    collected_before = models.BooleanField(_("会前征集"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_summary = models.TextField(_("答复摘要"), max_length=1000, blank=True)
    vote = models.CharField(_("满意度投票"), max_length=8, choices=Vote.choices, default=Vote.NONE)
    vote_opened_at = models.DateTimeField(null=True, blank=True)
    vote_closed_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.QUESTION)
    # A 回头看's commitments, as they were put to the hall: the unit's 督办事项 from earlier
    # review sessions of the district. Its votes are the hall's view of how they were kept; they
    # are not 问政满意度 and do not enter the score (docs/meeting.md, "回头看").
    recheck_items = models.ManyToManyField(
        "FollowUp", blank=True, related_name="rechecks", verbose_name=_("回头看事项")
    )

    class Meta:
        ordering = ["queue_order", "created_at", "id"]
        verbose_name = _("问政问题")
        verbose_name_plural = _("问政问题")
        indexes = [models.Index(fields=["session", "status"], name="question_session_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""),
                name="question_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | ~Q(status="merged") & Q(merged_into__isnull=True),
                name="question_merged_has_target",
            ),
            # A vote is on an answer: only an answered question can have one.
            models.CheckConstraint(
                condition=Q(vote="none") | Q(status="answered"),
                name="question_vote_only_when_answered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.text[:20]}"

    @property
    def is_edited(self) -> bool:
        return bool(self.original_text) and self.original_text != self.text


class Satisfaction(models.TextChoices):
    """满意度 (section 4.11)."""

    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class SatisfactionVote(models.Model):
    """One representative's satisfaction with one answer: one vote per credential per question,
    held by the database as well as by the service."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    credential = models.ForeignKey(
        Credential, on_delete=models.PROTECT, related_name="satisfaction_votes"
    )
    choice = models.CharField(max_length=20, choices=Satisfaction.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("满意度投票")
        verbose_name_plural = _("满意度投票")
        constraints = [
            models.UniqueConstraint(
                fields=["question", "credential"], name="satisfaction_vote_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}:{self.choice}"


class FollowUp(models.Model):
    """督办事项: a commitment made on stage, tracked to completion.

    It comes from an answered question, or from a leader's on-the-spot question to a leading
    group (``source``). ``colour`` is what staff last set; an item past its due date and not
    done shows red whatever was set (``effective_colour``)."""

    class Source(models.TextChoices):
        QUESTION = "question", _("现场问政")
        LEADER = "leader", _("领导现场提问")

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="follow_ups")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("责任单位")
    )
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    question = models.OneToOneField(
        Question, null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up"
    )
    asked_by = models.CharField(_("提问领导"), max_length=100, blank=True)
    leading_group = models.CharField(_("领导小组"), max_length=100, blank=True)
    title = models.CharField(_("事项"), max_length=200)
    detail = models.TextField(_("具体内容"), max_length=2000, blank=True)
    due_date = models.DateField(_("完成时限"))
    colour = models.CharField(
        _("状态颜色"), max_length=8, choices=Colour.choices, default=Colour.GREEN
    )
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")
        constraints = [
            models.CheckConstraint(
                condition=Q(source="question", question__isnull=False)
                | Q(source="leader", question__isnull=True),
                name="follow_up_source_matches_question",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_date < timezone.localdate()

    @property
    def effective_colour(self) -> str:
        return Colour.RED if self.is_overdue else self.colour

    @property
    def effective_colour_label(self) -> str:
        return Colour(self.effective_colour).label


def follow_up_evidence_path(instance: "FollowUpUpdate", filename: str) -> str:
    # A random stored name; the original name is kept in a field and never used as a path.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"followups/{instance.follow_up.session_id}/{uuid.uuid4().hex}.{suffix}"


class FollowUpUpdate(models.Model):
    """Progress on a 督办事项, with its evidence: text, a file, a link."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(_("进展情况"), max_length=2000)
    link = models.URLField(_("链接"), max_length=500, blank=True)
    file = models.FileField(upload_to=follow_up_evidence_path, blank=True)
    original_name = models.CharField(_("文件名"), max_length=255, blank=True)
    # The colour set with this update, if it changed; every change is kept here.
    colour = models.CharField(_("状态颜色"), max_length=8, choices=Colour.choices, blank=True)
    marks_done = models.BooleanField(_("标记办结"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("督办进展")
        verbose_name_plural = _("督办进展")

    def __str__(self) -> str:
        return f"{self.follow_up} {self.created_at:%Y-%m-%d}"
