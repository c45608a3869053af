"""Forms of the scoring pages: one row of 其他考核, the 其他考核 workbook upload, and the
correction of a published result. They check what a person typed; the services check the rest."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sessions.forms import WorkbookUploadForm

from .models import ExternalScore, LeaderComment
from .services import CORRECTION_REASON_MIN_LENGTH

# A 其他考核 workbook is one short sheet (a row per unit): anything bigger is the wrong file.
SCORES_UPLOAD_MAX_BYTES = 2 * 1024 * 1024

ZERO, HUNDRED = Decimal("0"), Decimal("100")


def _score_field(label, *, minimum=ZERO, help_text=""):
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=minimum,
        max_value=HUNDRED,
        max_digits=5,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class ScoreRowForm(forms.Form):
    """One unit's row of the 其他考核 page: its ExternalScore and its LeaderComment."""

    target = _score_field(gettext_lazy("目标考核"))
    daily = _score_field(gettext_lazy("日常考核"))
    bonus = _score_field(
        gettext_lazy("加减分"), minimum=Decimal("-100"), help_text=gettext_lazy("扣分填负数")
    )
    bonus_reason = forms.CharField(
        label=gettext_lazy("加减分理由"),
        required=False,
        max_length=ExternalScore._meta.get_field("bonus_reason").max_length,
    )
    comment_author = forms.CharField(
        label=gettext_lazy("点评领导"),
        required=False,
        max_length=LeaderComment._meta.get_field("author").max_length,
    )
    comment_score = _score_field(gettext_lazy("点评得分"), help_text=gettext_lazy("选填"))
    comment_text = forms.CharField(
        label=gettext_lazy("分管领导书面点评"),
        required=False,
        max_length=LeaderComment._meta.get_field("text").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, comment_exists: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.comment_exists = comment_exists

    def clean(self):
        data = super().clean()
        bonus = data.get("bonus")
        if bonus and not (data.get("bonus_reason") or "").strip():
            self.add_error("bonus_reason", _("有加减分时必须写明理由。"))
        author = (data.get("comment_author") or "").strip()
        text = (data.get("comment_text") or "").strip()
        score = data.get("comment_score")
        wants_comment = bool(author or text or score is not None)
        # A comment, once written, can be changed but not removed from this form.
        if wants_comment or self.comment_exists:
            if not author and "comment_author" not in self.errors:
                self.add_error("comment_author", _("填写书面点评时必须写明点评领导。"))
            if not text and "comment_text" not in self.errors:
                self.add_error("comment_text", _("填写书面点评时必须填写点评内容。"))
        data["wants_comment"] = wants_comment or self.comment_exists
        return data


class ScoresUploadForm(WorkbookUploadForm):
    def max_bytes(self) -> int:
        return SCORES_UPLOAD_MAX_BYTES


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("更正理由"),
        min_length=CORRECTION_REASON_MIN_LENGTH,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("理由随新版结果保存，印在结果报告的脚注中，不能修改。"),
    )


class TargetsFillForm(forms.Form):
    """The confirmation of 从目标管理取目标考核得分: nothing to type, but the POST must come from
    the page that showed what would change."""

    confirm = forms.BooleanField(widget=forms.HiddenInput, initial=True)
