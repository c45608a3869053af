"""Forms of the 目标填报 pages. They check what a person typed; targets/reports.py checks the
rest (periods, states, files)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.colours import Colour
from core.uploads import ATTACHMENT_TYPES
from org.models import District
from sessions.forms import WorkbookUploadForm

from .ledger import NO_REPORT
from .models import Notice, Report, TargetUnit
from .reports import REASON_MAX, REPORT_FILE_MAX_BYTES, TEXT_MAX, VALUE_PLACES
from .workbook import UPLOAD_MAX_BYTES

MONTHS = range(1, 13)


def _value_field(label):
    return forms.DecimalField(
        label=label,
        max_digits=16,
        decimal_places=VALUE_PLACES,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


def _reason_field(label, help_text=""):
    return forms.CharField(
        label=label,
        max_length=REASON_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name, as a list (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"accept": ",".join(f".{e}" for e in sorted(ATTACHMENT_TYPES))}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        clean_one = super().clean
        if isinstance(data, list | tuple):
            return [clean_one(item, initial) for item in data if item]
        return [clean_one(data, initial)] if data else []


class ReportForm(forms.Form):
    value = _value_field(gettext_lazy("累计完成值"))
    text = forms.CharField(
        label=gettext_lazy("进展情况"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    files = MultipleFileField(label=gettext_lazy("佐证材料"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _("可选多个文件：%(types)s，每个不超过 %(mb)s MB。") % {
            "types": ", ".join(sorted(ATTACHMENT_TYPES)),
            "mb": REPORT_FILE_MAX_BYTES // 1024 // 1024,
        }


class ReviewActionForm(forms.Form):
    """Which of the office's forms on the report's page was sent."""

    ACCEPT, RETURN, CORRECT = "accept", "return", "correct"
    action = forms.ChoiceField(
        choices=[(ACCEPT, ACCEPT), (RETURN, RETURN), (CORRECT, CORRECT)],
        widget=forms.HiddenInput,
    )


class AcceptForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, initial=ReviewActionForm.ACCEPT)


class ReturnForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, initial=ReviewActionForm.RETURN)
    reason = _reason_field(
        gettext_lazy("退回理由"), gettext_lazy("单位填报员会看到这条理由，改正后重新报送。")
    )


class CorrectForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, initial=ReviewActionForm.CORRECT)
    value = _value_field(gettext_lazy("更正后的完成值"))
    reason = _reason_field(
        gettext_lazy("更正理由"), gettext_lazy("记入填报记录和审计日志，原值保留。")
    )


class QueueFilterForm(forms.Form):
    """The queue's GET filters; a value not offered is an error and does not filter."""

    ALL = "all"
    unit = forms.ChoiceField(label=gettext_lazy("单位"), required=False)
    month = forms.TypedChoiceField(
        label=gettext_lazy("期末月份"), required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[*Report.Status.choices, (ALL, gettext_lazy("全部"))],
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {u.code: u for u in units}
        self.fields["unit"].choices = [("", _("全部单位")), *((u.code, u.name) for u in units)]
        self.fields["month"].choices = [
            ("", _("全部月份")),
            *((m, _("%(m)s月") % {"m": m}) for m in MONTHS),
        ]

    def filters(self) -> dict:
        """org_unit, month and status for targets.report_selectors.review_queue."""
        self.is_valid()
        data = self.cleaned_data
        status = data.get("status") or Report.Status.SUBMITTED
        return {
            "org_unit": self.units.get(data.get("unit") or ""),
            "month": data.get("month"),
            "status": None if status == self.ALL else status,
        }


# ------------------------------------------------- notices, the overview, spot checks, the workbook


def _line_label(line: TargetUnit) -> str:
    return f"{line.target.code} {line.target.title} · {line.org_unit.name}（{line.get_role_display()}）"


class BreakdownLineField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _line_label(obj)


class NoticeIssueForm(forms.Form):
    target_unit = BreakdownLineField(label=gettext_lazy("目标及责任单位"), queryset=None)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=Notice.Kind.choices)
    reason = forms.CharField(
        label=gettext_lazy("事由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    demand = forms.CharField(
        label=gettext_lazy("整改要求"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_date = forms.DateField(
        label=gettext_lazy("整改时限"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, district: District, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_unit"].queryset = (
            TargetUnit.objects.filter(target__district=district, target__year=year)
            .select_related("target", "org_unit")
            .order_by("target__code", "role", "org_unit__code")
        )


class NoticeCloseForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("销号说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoticeFilterForm(forms.Form):
    STATES = [
        ("", gettext_lazy("全部")),
        ("open", gettext_lazy("未销号")),
        ("closed", gettext_lazy("已销号")),
    ]
    state = forms.ChoiceField(label=gettext_lazy("状态"), choices=STATES, required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("类型"),
        choices=[("", gettext_lazy("全部")), *Notice.Kind.choices],
        required=False,
    )


class OverviewFilterForm(forms.Form):
    unit = forms.ChoiceField(label=gettext_lazy("责任单位"), required=False)
    colour = forms.ChoiceField(
        label=gettext_lazy("颜色"),
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            *Colour.choices,
            (NO_REPORT, gettext_lazy("无已审核填报")),
        ],
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("全部")), *((u.code, u.name) for u in units)]


class SpotCheckForm(forms.Form):
    month = forms.TypedChoiceField(label=gettext_lazy("期末月份"), coerce=int, choices=())
    count = forms.IntegerField(label=gettext_lazy("抽查份数"), min_value=1, max_value=1000)
    seed = forms.CharField(
        label=gettext_lazy("随机种子"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("留空则随机生成；记录在案，任何人可用同一种子重复抽取。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [(m, _("%(m)s月") % {"m": m}) for m in range(1, 13)]


class TargetsUploadForm(WorkbookUploadForm):
    def max_bytes(self) -> int:
        return UPLOAD_MAX_BYTES
