"""Forms of the live meeting: 现场问政 (the moderator's queue and the representative's tablet).

Forms only parse and bound what comes in; meeting/questions.py decides what is allowed (a unit
that takes part, a question of this session, a vote still open) and says why not.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sessions.models import ReviewSession, Unit

from . import questions
from .models import Satisfaction

# The same words as the service's refusal (meeting/questions.py), not Django's generic ones.
TEXT_ERRORS = {
    "required": _("请填写问题。"),
    "max_length": _("问题不能超过 %(limit_value)d 个字（现在 %(show_value)d 个字）。"),
}


def _unit_choices(session: ReviewSession) -> list[tuple[str, str]]:
    return [("", _("请选择单位"))] + [
        (str(unit.pk), unit.name) for unit in questions.participant_units(session)
    ]


class QuestionAskForm(forms.Form):
    """A representative's question from the tablet."""

    unit = forms.TypedChoiceField(
        label=_("向哪个单位提问"),
        coerce=int,
        choices=(),
        error_messages={
            "required": _("请选择一个述职单位。"),
            "invalid_choice": _("请选择一个述职单位。"),
        },
    )
    text = forms.CharField(
        label=pgettext_lazy("question", "问题"),
        max_length=questions.TEXT_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={"rows": 5, "data-counter": "", "maxlength": questions.TEXT_MAX_LENGTH}
        ),
        help_text=_("最多 500 字。问题经主持人审核后按顺序提问。"),
        error_messages=TEXT_ERRORS,
    )

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _unit_choices(session)


class QuestionAddForm(forms.Form):
    """A question staff enter: collected before the meeting by letter or phone, or from the
    floor."""

    unit = forms.ModelChoiceField(
        label=_("被问单位"),
        queryset=Unit.objects.none(),
        error_messages={
            "required": _("请选择一个述职单位。"),
            "invalid_choice": _("请选择一个述职单位。"),
        },
    )
    asker = forms.CharField(
        label=_("提问人"),
        max_length=questions.ASKER_MAX_LENGTH,
        required=False,
        help_text=_("如：人大代表 张三；可留空。"),
    )
    text = forms.CharField(
        label=pgettext_lazy("question", "问题"),
        max_length=questions.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": questions.TEXT_MAX_LENGTH}),
        error_messages=TEXT_ERRORS,
    )

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(
            participations__session=session
        ).order_by("name")


class QuestionEditForm(forms.Form):
    """The moderator's wording of a question before it goes on the big screen."""

    text = forms.CharField(
        label=pgettext_lazy("question", "问题"),
        max_length=questions.TEXT_MAX_LENGTH,
        error_messages=TEXT_ERRORS,
    )


class QuestionRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("未采纳理由"),
        max_length=questions.REASON_MAX_LENGTH,
        error_messages={"required": _("请填写未采纳的理由。")},
        help_text=_("提问人会在平板上看到这条理由。"),
    )


class QuestionMergeForm(forms.Form):
    into = forms.IntegerField(label=_("合并到"), min_value=1)


class QuestionMoveForm(forms.Form):
    direction = forms.ChoiceField(
        choices=[(questions.MOVE_UP, _("上移")), (questions.MOVE_DOWN, _("下移"))]
    )


class QuestionAnsweredForm(forms.Form):
    summary = forms.CharField(
        label=_("答复摘要"),
        max_length=questions.SUMMARY_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": questions.SUMMARY_MAX_LENGTH}),
    )


class ConfirmForm(forms.Form):
    """A post that asks first (hx-confirm, or the confirmation page without JavaScript)."""

    confirmed = forms.BooleanField(required=False)


class VoteForm(forms.Form):
    """One tap on 满意 / 基本满意 / 不满意."""

    question = forms.IntegerField(min_value=1)
    choice = forms.ChoiceField(choices=Satisfaction.choices)


class RecheckForm(forms.Form):
    """回头看: the unit whose commitments from earlier reviews come back to the hall."""

    unit = forms.ModelChoiceField(
        label=_("单位"),
        queryset=Unit.objects.none(),
        error_messages={
            "required": _("请选择一个述职单位。"),
            "invalid_choice": _("请选择一个述职单位。"),
        },
    )

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(participations__session=session)
