"""What every write to a session checks first: its row lock, that its configuration is still a
draft, and the rules of names and samples the services share."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ReviewSession

Status = ReviewSession.Status


def require_draft(session: ReviewSession) -> None:
    if not session.is_editable:
        raise ValidationError(
            _(
                "评议会状态为“%(status)s”，单位、评议组、权重和计分办法已冻结。"
                "如需修改，请先退回草稿（仅在尚无评议票时可行）。"
            )
            % {"status": session.get_status_display()}
        )


# In an anonymous session a group's score on a unit is published only from this many votes
# up: with one or two, the score would show a single rater's grade (docs/anonymity.md,
# "minimum sample").
ANONYMOUS_MIN_SAMPLE = 3


def anonymous_min_sample_message() -> str:
    return _(
        "匿名评议的最少有效票数不能少于 %(min)s：票数更少时，单位得分会暴露个别评议人的评价。"
    ) % {"min": ANONYMOUS_MIN_SAMPLE}


def lock_session(session: ReviewSession) -> ReviewSession:
    """Re-read the session under a row lock so that two staff cannot race a transition."""
    return ReviewSession.objects.select_for_update().get(pk=session.pk)


def clean_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("%(what)s名称不能为空。") % {"what": what})
    if len(name) > 100:
        raise ValidationError(_("%(what)s名称不能超过 100 个字符。") % {"what": what})
    return name
