"""Forms of the 重点项目 pages. They check what a person typed; the services check the rest."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.colours import Colour
from sessions.forms import WorkbookUploadForm
from sessions.models import Unit

from .models import WEB_URL, ProjectUpdate
from .services import REASON_MAX
from .workbook import UPLOAD_MAX_BYTES

ZERO, HUNDRED = Decimal("0"), Decimal("100")


class WebURLField(forms.URLField):
    """http and https only: one validator, so a bad link gets one message."""

    default_validators = [WEB_URL]


def _percent_field(label, *, required=True, help_text=""):
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=ZERO,
        max_value=HUNDRED,
        max_digits=5,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class ProjectFilterForm(forms.Form):
    """The board's GET filters. A value that is not offered (a unit of another session, an
    unknown colour) is an error shown above the list, and that filter is not applied."""

    colour = forms.ChoiceField(
        label=gettext_lazy("颜色"),
        required=False,
        choices=[("", gettext_lazy("全部颜色")), *Colour.choices],
    )
    # The units that own projects, by id (a ChoiceField over a list already read: no query).
    unit = forms.ChoiceField(label=gettext_lazy("责任单位"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("项目类别"), required=False)

    def __init__(self, *args, units: list[Unit], categories: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {str(u.pk): u for u in units}
        self.fields["unit"].choices = [("", _("全部单位")), *((u.pk, u.name) for u in units)]
        self.fields["category"].choices = [("", _("全部类别")), *((c, c) for c in categories)]

    def filters(self) -> dict:
        """colour, unit (a Unit or None) and category; an invalid field does not filter."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        return {
            "colour": data["colour"],
            "unit": self.units.get(data["unit"]),
            "category": data["category"],
        }


class ProjectsUploadForm(WorkbookUploadForm):
    def max_bytes(self) -> int:
        return UPLOAD_MAX_BYTES


class RecolourForm(forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("计算日期"),
        # A date input only shows an ISO value; the localised default (2026/12/04) left it blank.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("按这一天的计划进度和时间节点计算颜色。"),
    )
    # Set by the confirmation step's button; the first post only shows what will change.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ManualColourForm(forms.Form):
    colour = forms.ChoiceField(
        label=gettext_lazy("颜色"),
        required=False,
        choices=[("", gettext_lazy("按规则计算（取消手动颜色）")), *Colour.choices],
    )
    reason = forms.CharField(
        label=gettext_lazy("原因"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("记入颜色变更记录和审计日志。"),
    )


class ProjectUpdateForm(forms.Form):
    STALLED_CHOICES = [
        ("", gettext_lazy("不变")),
        ("yes", gettext_lazy("停滞")),
        ("no", gettext_lazy("正常推进")),
    ]

    text = forms.CharField(
        label=gettext_lazy("进展情况"),
        max_length=ProjectUpdate._meta.get_field("text").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    progress = _percent_field(
        gettext_lazy("新的实际进度(%)"),
        required=False,
        help_text=gettext_lazy("留空表示不变。"),
    )
    stalled = forms.ChoiceField(label=gettext_lazy("停滞"), required=False, choices=STALLED_CHOICES)
    photo_url = WebURLField(
        label=gettext_lazy("照片链接"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("以 http:// 或 https:// 开头的网址。"),
    )
    video_url = WebURLField(
        label=gettext_lazy("视频链接"),
        required=False,
        max_length=500,
        assume_scheme="https",
    )

    def clean_stalled(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data["stalled"])


class ProjectRuleForm(forms.Form):
    yellow_behind = _percent_field(
        gettext_lazy("黄：落后超过（百分点）"),
        help_text=gettext_lazy("计划进度减实际进度大于此值为黄色。"),
    )
    red_behind = _percent_field(
        gettext_lazy("红：落后超过（百分点）"),
        help_text=gettext_lazy("大于此值为红色；停滞的项目也为红色。"),
    )

    def clean(self):
        data = super().clean()
        yellow, red = data.get("yellow_behind"), data.get("red_behind")
        if yellow is not None and red is not None and yellow > red:
            self.add_error("red_behind", _("红色阈值不能小于黄色阈值。"))
        return data


class MilestoneDoneForm(forms.Form):
    """A milestone reached on a date, or (blank) not reached."""

    done_on = forms.DateField(
        label=gettext_lazy("完成日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
