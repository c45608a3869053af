from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import draws
from .models import RaterGroup, Report, ReviewSession, Unit, UnitCategory


class SessionCreateForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("模板"),
        choices=ReviewSession.Kind.choices,
        initial=ReviewSession.Kind.MIDYEAR,
        widget=forms.RadioSelect,
        help_text=_(
            "模板预置单位类别、评议组及默认权重（县级领导 40、区直部门 20、镇(街道) 20、两代表一委员 20）。"
        ),
    )
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    title = forms.CharField(
        label=_("名称"), max_length=200, required=False, help_text=_("留空则按模板生成")
    )
    date = forms.DateField(
        label=_("日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    venue = forms.CharField(label=_("地点"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class SessionForm(forms.ModelForm):
    class Meta:
        model = ReviewSession
        fields = ["title", "year", "date", "venue"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class CategoryForm(forms.ModelForm):
    class Meta:
        model = UnitCategory
        fields = ["name", "side"]


class UnitForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=100)
    category = forms.ModelChoiceField(label=_("类别"), queryset=UnitCategory.objects.none())
    participates = forms.BooleanField(
        label=_("固定参加述职"), required=False, help_text=_("不勾选则只进入随机抽选的候选池")
    )

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = session.categories.all()


class GroupForm(forms.ModelForm):
    class Meta:
        model = RaterGroup
        fields = ["name", "weight", "min_sample", "side"]
        help_texts = {
            "weight": _("各组权重按比例计算，不必加总为 100。"),
            "min_sample": _("少于此票数时该组对该单位视为无数据。"),
        }

    def clean_weight(self):
        weight = self.cleaned_data["weight"]
        if weight is not None and weight < Decimal(0):
            raise forms.ValidationError(_("权重不能为负数。"))
        return weight


class DrawForm(forms.Form):
    categories = forms.ModelMultipleChoiceField(
        label=_("候选类别"),
        queryset=UnitCategory.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("从这些类别中尚未固定参加的单位里抽取。"),
    )
    count = forms.IntegerField(label=_("抽取数量"), min_value=1, max_value=500)
    seed = forms.CharField(
        label=_("随机种子"),
        max_length=40,
        help_text=_("已随机生成；也可填写现场公开的数字。凭种子任何人都可复现结果。"),
    )

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = session.categories.all()
        self.fields["seed"].initial = draws.new_seed()


class OrderDrawForm(forms.Form):
    seed = forms.CharField(label=_("随机种子"), max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seed"].initial = draws.new_seed()


class ReportForm(forms.Form):
    kind = forms.ChoiceField(choices=Report.Kind.choices, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("正文"), required=False, widget=forms.Textarea(attrs={"rows": 10})
    )


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("报告"), choices=Report.Kind.choices)
    file = forms.FileField(
        label=_("附件"), help_text=_("PDF、Word、Excel、PPT 或图片，不超过 20 MB。")
    )


class UnitChoiceForm(forms.Form):
    """A unit id posted by a button (e.g. add as fixed participant); tampered ids fail here."""

    unit = forms.ModelChoiceField(queryset=Unit.objects.none())

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = session.units.all()
