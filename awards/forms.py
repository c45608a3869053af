"""Forms of the 表彰 pages: they turn the browser's input into the services' arguments; the
services decide what is allowed (docs/awards.md)."""

from __future__ import annotations

import re

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.models import District, OrgUnit
from scoring.document import BAND_LABELS
from sessions.models import ReviewSession

from .models import Objection, Programme

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# "类别：3" or "区直部门: 2"; the last colon splits, so a name may hold one.
COLON = re.compile(r"[:：]")


def _lines(text: str):
    for number, line in enumerate((text or "").splitlines(), start=1):
        if line.strip():
            yield number, line.strip()


def quota_text(quota: dict) -> str:
    return "\n".join(f"{name}：{places}" for name, places in quota.items())


def exclusions_text(programme: Programme) -> str:
    return "\n".join(f"{e.org_unit.name}：{e.reason}" for e in programme.exclusions.all())


class ProgrammeForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("奖项名称"),
        max_length=100,
        help_text=gettext_lazy("按表彰文件的原话填写，如“综合目标管理优秀单位”。"),
    )
    kind = forms.ChoiceField(label=gettext_lazy("表彰对象"), choices=Programme.Kind.choices)
    source = forms.ChoiceField(label=gettext_lazy("评选依据"), choices=Programme.Source.choices)
    session = forms.ModelChoiceField(
        label=gettext_lazy("评议会"),
        queryset=ReviewSession.objects.none(),
        required=False,
        help_text=gettext_lazy("按评议等次或排名评选时必选：取其最新发布的结果。"),
    )
    bands = forms.MultipleChoiceField(
        label=gettext_lazy("入选等次"),
        choices=list(BAND_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    rank_by = forms.ChoiceField(
        label=gettext_lazy("排名依据"), choices=Programme.RankBy.choices, required=False
    )
    top_n = forms.IntegerField(
        label=gettext_lazy("每类取前 N 名"), min_value=1, max_value=999, required=False
    )
    min_score = forms.DecimalField(
        label=gettext_lazy("最低目标考核得分"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )
    quota_default = forms.IntegerField(
        label=gettext_lazy("每类名额"),
        min_value=0,
        max_value=999,
        required=False,
        help_text=gettext_lazy("留空为不限；下面未列出的类别都用这个名额。"),
    )
    quota = forms.CharField(
        label=gettext_lazy("分类名额"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("每行一个：类别名称：名额，如“镇(街道)：2”。"),
    )
    per_unit_quota = forms.IntegerField(
        label=gettext_lazy("每单位推荐名额（先进个人）"), min_value=1, max_value=99, required=False
    )
    exclude_vetoed = forms.BooleanField(
        label=gettext_lazy("排除目标考核被一票否决的单位"), required=False, initial=True
    )
    exclude_noticed = forms.BooleanField(
        label=gettext_lazy("排除有未销号警示单或诫勉谈话的单位"), required=False, initial=True
    )
    exclusions = forms.CharField(
        label=gettext_lazy("排除单位"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("每行一个：单位名称或代码：理由。"),
    )

    def __init__(self, *args, district: District, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.district = district
        self.fields["session"].queryset = ReviewSession.objects.filter(
            district=district, year=year
        ).order_by("-date", "-id")

    def clean_quota(self) -> dict:
        found = {}
        for number, line in _lines(self.cleaned_data["quota"]):
            parts = COLON.split(line)
            name, places = "：".join(parts[:-1]).strip(), parts[-1].strip()
            if len(parts) < 2 or not name or not places.isdigit():
                raise forms.ValidationError(
                    _("第 %(n)s 行应写成“类别名称：名额”。") % {"n": number}
                )
            found[name] = int(places)
        return found

    def clean_exclusions(self) -> dict:
        found = {}
        for number, line in _lines(self.cleaned_data["exclusions"]):
            parts = [part.strip() for part in COLON.split(line, maxsplit=1)]
            unit_text, reason = parts[0], parts[1] if len(parts) > 1 else ""
            if not reason:
                raise forms.ValidationError(
                    _("第 %(n)s 行应写成“单位名称或代码：理由”。") % {"n": number}
                )
            unit = OrgUnit.objects.filter(
                Q(name=unit_text) | Q(code=unit_text), district=self.district
            ).first()
            if unit is None:
                raise forms.ValidationError(
                    _("第 %(n)s 行：本区（县）没有单位“%(unit)s”。")
                    % {"n": number, "unit": unit_text}
                )
            found[unit] = reason
        return found

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kind": data["kind"],
            "source": data["source"],
            "session": data["session"],
            "bands": data["bands"],
            "rank_by": data["rank_by"] or Programme.RankBy.TOTAL,
            "top_n": data["top_n"],
            "min_score": data["min_score"],
            "quota": data["quota"],
            "quota_default": data["quota_default"],
            "per_unit_quota": data["per_unit_quota"],
            "exclude_vetoed": data["exclude_vetoed"],
            "exclude_noticed": data["exclude_noticed"],
            "exclusions": data["exclusions"],
        }

    @classmethod
    def initial_of(cls, programme: Programme) -> dict:
        return {
            "name": programme.name,
            "kind": programme.kind,
            "source": programme.source,
            "session": programme.session_id,
            "bands": programme.bands,
            "rank_by": programme.rank_by,
            "top_n": programme.top_n,
            "min_score": programme.min_score,
            "quota": quota_text(programme.quota),
            "quota_default": programme.quota_default,
            "per_unit_quota": programme.per_unit_quota,
            "exclude_vetoed": programme.exclude_vetoed,
            "exclude_noticed": programme.exclude_noticed,
            "exclusions": exclusions_text(programme),
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤销理由"), max_length=1000)


class PersonForm(forms.Form):
    org_unit = forms.ModelChoiceField(
        label=gettext_lazy("推荐单位"), queryset=OrgUnit.objects.none()
    )
    person_name = forms.CharField(label=gettext_lazy("姓名"), max_length=60)
    post = forms.CharField(label=gettext_lazy("职务"), max_length=100)

    def __init__(self, *args, district: District, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(
            district=district, active=True
        ).order_by("code")


class PublicityForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("公示开始日期"), widget=DATE_WIDGET)
    end = forms.DateField(label=gettext_lazy("公示结束日期"), widget=DATE_WIDGET)


class ObjectionForm(forms.Form):
    nomination = forms.ModelChoiceField(label=gettext_lazy("异议对象"), queryset=None)
    summary = forms.CharField(
        label=gettext_lazy("异议内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, programme: Programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nomination"].queryset = programme.nominations.filter(
            excluded=False, withdrawn=False
        ).select_related("org_unit")


class ObjectionDecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("核查结果"),
        choices=[
            (Objection.Outcome.UPHELD, Objection.Outcome.UPHELD.label),
            (Objection.Outcome.DISMISSED, Objection.Outcome.DISMISSED.label),
        ],
    )
    note = forms.CharField(
        label=gettext_lazy("核查说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(forms.Form):
    programmes = forms.ModelMultipleChoiceField(
        label=gettext_lazy("表彰的奖项"),
        queryset=Programme.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    number = forms.CharField(label=gettext_lazy("决定文号"), max_length=60)
    date = forms.DateField(label=gettext_lazy("决定日期"), widget=DATE_WIDGET)
    issuer = forms.CharField(label=gettext_lazy("发文机关"), max_length=100)
    signatory = forms.CharField(label=gettext_lazy("签发人"), max_length=60, required=False)
    body = forms.CharField(
        label=gettext_lazy("决定正文"), max_length=4000, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args, district: District, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programmes"].queryset = Programme.objects.filter(
            district=district, year=year, status=Programme.Status.FINAL
        ).order_by("id")
