from collections import Counter
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from org.models import District

from . import draws
from .models import (
    Participant,
    RaterGroup,
    Report,
    ReviewSession,
    ScoringScheme,
    Unit,
    UnitCategory,
)
from .services import NOTICE_FIELDS


def add_district_field(form: forms.Form, districts: list) -> None:
    """An organiser of several districts says where the new session belongs; with one
    district the form does not ask (docs/design.md, "District")."""
    if len(districts) > 1:
        form.fields["district"] = forms.ModelChoiceField(
            label=_("区（县）"),
            queryset=District.objects.filter(pk__in=[d.pk for d in districts]),
            empty_label=None,
        )


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
        label=_("日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    venue = forms.CharField(label=_("地点"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class SessionForm(forms.ModelForm):
    class Meta:
        model = ReviewSession
        fields = ["title", "year", "date", "venue", *NOTICE_FIELDS]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "notice_issuer": _(
                "通报版头的红色发文机关标志，如“中共惠济区委组织部”。不填则印区（县）名称。"
            ),
            "notice_number": _(
                "如“惠组〔2026〕12号”，年份用六角括号〔〕。不填则印“〔　〕号”留待填写。"
            ),
            "notice_signatory": _(
                "正文后、成文日期上方的署名，如“中共惠济区委组织部”。不填则同发文机关。"
            ),
            "notice_copy_to": _(
                "版记中的抄送机关，用逗号分隔，如“区委办公室，区人大常委会办公室”。不填则不印抄送行。"
            ),
            "notice_printed_by": _(
                "版记中的印发机关，如“中共惠济区委组织部办公室”。不填则同发文机关。"
            ),
        }

    def detail_fields(self):
        return [self[name] for name in self.fields if name not in NOTICE_FIELDS]

    def notice_fields(self):
        """The 通报's letterhead (docs/results.md, "通报 (official format)"): editable in every
        state, a published result's included."""
        return [self[name] for name in NOTICE_FIELDS]


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
        fields = ["name", "weight", "min_sample", "side", "can_ask", "is_leaders"]
        help_texts = {
            "weight": _("各组权重按比例计算，不必加总为 100。"),
            "min_sample": _("少于此票数时该组对该单位视为无数据。"),
            "is_leaders": _("计分办法“同分比较县级领导组得分”比较的评议组；每个评议会至多一个。"),
        }

    def clean_weight(self):
        weight = self.cleaned_data["weight"]
        if weight is not None and weight < Decimal(0):
            raise forms.ValidationError(_("权重不能为负数。"))
        return weight


DRAWN_BY_HELP = _("如“城关镇党委书记 张三”：记入抽签记录、复核页和审计日志。")


class DrawForm(forms.Form):
    """One quota per category: each category with a quota is its own pool, and all pools are
    drawn together under one seed (docs/draws.md)."""

    drawn_by = forms.CharField(label=_("抽签人"), max_length=100, help_text=DRAWN_BY_HELP)
    seed = forms.CharField(
        label=_("随机种子"),
        max_length=40,
        help_text=_("已随机生成；也可填写现场公开的数字。凭种子任何人都可复现结果。"),
    )

    def __init__(self, *args, session: ReviewSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seed"].initial = draws.new_seed()
        fixed = session.participants.filter(how=Participant.How.FIXED).values("unit_id")
        candidates = Counter(
            session.units.exclude(pk__in=fixed).values_list("category_id", flat=True)
        )
        self.categories = list(session.categories.all())
        for category in self.categories:
            category.candidates = candidates[category.pk]
        self.quota_fields = []
        for category in self.categories:
            name = f"quota_{category.pk}"
            self.fields[name] = forms.IntegerField(
                label=category.name,
                required=False,
                min_value=0,
                max_value=500,
                help_text=_("候选 %(n)s 个（不含固定参加的单位）") % {"n": category.candidates},
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0"}),
            )
            self.quota_fields.append(name)

    def clean(self):
        cleaned = super().clean()
        pools = [
            ([category], cleaned[f"quota_{category.pk}"])
            for category in self.categories
            if cleaned.get(f"quota_{category.pk}")
        ]
        if not pools and not self.errors:
            raise ValidationError(_("请至少为一个类别填写抽取数量。"))
        cleaned["pools"] = pools
        return cleaned

    def draw_arguments(self) -> dict:
        return {
            "pools": self.cleaned_data["pools"],
            "seed": self.cleaned_data["seed"],
            "drawn_by": self.cleaned_data["drawn_by"],
        }


class OrderDrawForm(forms.Form):
    seed = forms.CharField(label=_("随机种子"), max_length=40)
    drawn_by = forms.CharField(
        label=_("抽签人"), max_length=100, required=False, help_text=DRAWN_BY_HELP
    )

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


# ---------------------------------------------------------------- 计分办法


def _scheme_label(name: str):
    return ScoringScheme._meta.get_field(name).verbose_name


def _score(name: str, **kwargs) -> forms.DecimalField:
    # Ranges and the rules between fields are checked by scheme_services.scheme_problems, so that the
    # page, the command line and the tests get the same messages, each naming its field.
    return forms.DecimalField(label=_scheme_label(name), max_digits=6, decimal_places=2, **kwargs)


def _flag(name: str, **kwargs) -> forms.BooleanField:
    return forms.BooleanField(label=_scheme_label(name), required=False, **kwargs)


def _action(name: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=_scheme_label(name), choices=ScoringScheme.RuleAction.choices)


class SchemeForm(forms.Form):
    """Every option of the 计分办法 (docs/design.md §4) except the group weights and minimum
    samples, which the 评议组与权重 page edits."""

    value_good = _score("value_good")
    value_fairly_good = _score("value_fairly_good")
    value_average = _score("value_average")
    value_poor = _score("value_poor")
    anonymous = _flag("anonymous", help_text=_("评议表不记录评议码和持有人。"))
    cross_rating = _flag(
        "cross_rating", help_text=_("按评议组和单位类别的“交叉评议归属”决定谁评谁。")
    )
    trimmed_mean = _flag("trimmed_mean")
    trim_above = forms.IntegerField(
        label=_scheme_label("trim_above"), help_text=_("至少为 2，去掉两票后至少还剩一票。")
    )
    default_min_sample = forms.IntegerField(
        label=_scheme_label("default_min_sample"),
        help_text=_("新建评议组时的默认值；各组的数值在“评议组与权重”页修改。"),
    )
    weight_review = _score("weight_review")
    weight_target = _score("weight_target")
    weight_daily = _score("weight_daily")
    weight_satisfaction = _score("weight_satisfaction")
    weight_leader_comment = _score("weight_leader_comment")
    apply_bonus = _flag("apply_bonus", help_text=_("加减分在加权合计之后直接加到总分上。"))
    tie_break_leaders = _flag("tie_break_leaders")
    tie_break_good_share = _flag("tie_break_good_share")
    band_excellent = _score("band_excellent")
    band_good = _score("band_good")
    band_average = _score("band_average")
    excellent_cap_enabled = _flag("excellent_cap_enabled")
    excellent_cap_percent = _score(
        "excellent_cap_percent",
        help_text=_("优秀单位数不超过本类别单位数 × 此比例（向下取整），并列者同等对待。"),
    )
    max_good_percent = _score("max_good_percent", required=False, help_text=_("不启用时可留空。"))
    max_good_action = _action("max_good_action")
    identical_grades_action = _action("identical_grades_action")
    value_satisfied = _score("value_satisfied")
    value_basically_satisfied = _score("value_basically_satisfied")
    value_dissatisfied = _score("value_dissatisfied")
    bias_flag_action = forms.ChoiceField(
        label=_scheme_label("bias_flag_action"),
        choices=ScoringScheme.BiasFlagAction.choices,
        help_text=_(
            "评议结果页的偏差分析（宽严度、直线式打分、本方偏向）从不改变得分；"
            "这里事先约定出现提示时是否在通报中注明。"
        ),
    )

    # (legend, help, fields): how the page groups the fields, in the order of section 4.
    SECTIONS = (
        (
            _("评价等次分值"),
            _("0 到 100 分，从“好”到“差”依次降低；弃权不计入得分和票数。"),
            ("value_good", "value_fairly_good", "value_average", "value_poor"),
        ),
        (_("评议方式"), "", ("anonymous", "cross_rating")),
        (
            _("评议组得分"),
            _("各组的权重和最少有效票数在“评议组与权重”页修改。"),
            ("trimmed_mean", "trim_above", "default_min_sample"),
        ),
        (
            _("总分构成（%）"),
            _("各组成部分权重之和必须为 100。"),
            (
                "weight_review",
                "weight_target",
                "weight_daily",
                "weight_satisfaction",
                "weight_leader_comment",
                "apply_bonus",
            ),
        ),
        (
            _("同分排序"),
            _("按总分在本类别内排名；勾选的依据按顺序比较，仍相同的名次相同。"),
            ("tie_break_leaders", "tie_break_good_share"),
        ),
        (
            _("等次"),
            _("分数线 0 到 100，优秀 ≥ 良好 ≥ 一般；低于一般分数线为较差。"),
            (
                "band_excellent",
                "band_good",
                "band_average",
                "excellent_cap_enabled",
                "excellent_cap_percent",
            ),
        ),
        (
            _("评议表规则"),
            _("拒收：评议人须修改后才能提交；标记：照常接收，供组织者复核。"),
            ("max_good_percent", "max_good_action", "identical_grades_action"),
        ),
        (
            _("问政满意度分值"),
            _("0 到 100 分，按有效票取平均分。"),
            ("value_satisfied", "value_basically_satisfied", "value_dissatisfied"),
        ),
        (_("评议偏差提示"), "", ("bias_flag_action",)),
    )


class CriterionForm(forms.Form):
    name = forms.CharField(label=_("指标名称"), max_length=100)
    weight = forms.DecimalField(
        label=_("权重"),
        max_digits=6,
        decimal_places=2,
        help_text=_("按权重加权平均，不必加总为 100。"),
    )
    order = forms.IntegerField(
        label=_("排序"), required=False, min_value=0, max_value=32767, help_text=_("留空排在最后")
    )


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What the importers read (core/spreadsheet.py tells the format by content; the name only
# keeps a PDF or a photo from being uploaded by mistake). docs/workbooks.md lists them.
WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
WORKBOOK_ACCEPT = ",".join(
    (
        *WORKBOOK_EXTENSIONS,
        XLSX_TYPE,
        "application/vnd.ms-excel",
        "application/vnd.oasis.opendocument.spreadsheet",
        "text/csv",
    )
)


class WorkbookUploadForm(forms.Form):
    """One workbook upload (session import, paper ballots, 其他考核, key projects): the type
    and size checked before the workbook is opened."""

    file = forms.FileField(
        label=_("表格文件（.xlsx、.xls、.csv）"),
        widget=forms.ClearableFileInput(attrs={"accept": WORKBOOK_ACCEPT}),
    )

    def max_bytes(self) -> int:
        return settings.UPLOAD_MAX_BYTES

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(WORKBOOK_EXTENSIONS):
            raise forms.ValidationError(
                gettext(
                    "只能导入表格文件：Excel 工作簿（.xlsx、.xls）、OpenDocument 表格（.ods）"
                    "或 CSV 文本（.csv）。"
                )
            )
        limit = self.max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                gettext("文件大小为 %(size).1f MB，超过上限 %(max).1f MB。")
                % {"size": upload.size / 1024 / 1024, "max": limit / 1024 / 1024}
            )
        return upload


# Kinds of audited action, by the part of the action code before the dot (core/audit.py).
AUDIT_KINDS = [
    ("session", _("评议会与状态")),
    ("unit", _("单位")),
    ("category", _("单位类别")),
    ("participant", _("述职单位")),
    ("group", _("评议组")),
    ("scheme", _("计分方案")),
    ("criterion", _("评议内容")),
    ("draw", _("抽签")),
    ("report", _("述职报告")),
    ("attachment", _("附件")),
    ("credential", _("评议码")),
    ("rate", _("评议码限流")),
    ("ballot", _("评议票")),
    ("ballot_box", _("票箱")),
    ("external_score", _("其他考核")),
    ("result", _("结果")),
    ("agenda", _("议程")),
    ("question", _("现场问政")),
    ("screen", _("大屏")),
    ("leader_comment", _("领导点评")),
    ("follow_up", _("督办")),
    ("projects", _("重点项目")),
    ("rehearsal", _("彩排")),
]


class AuditFilterForm(forms.Form):
    """The audit log's filters, read from the query string; each one is optional."""

    kind = forms.ChoiceField(
        label=_("操作类型"), required=False, choices=[("", _("全部"))] + AUDIT_KINDS
    )
    actor = forms.ChoiceField(label=_("操作人"), required=False)
    date_from = forms.DateField(
        label=_("从"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("到"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actors: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [("", _("全部"))] + [
            (label, name if name == label else f"{name}（{label}）") for label, name in actors
        ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise ValidationError(_("开始日期不能晚于结束日期。"))
        return cleaned

    def filters(self) -> dict:
        """The valid filters only: a bad field is reported and ignored, the others still apply."""
        data = getattr(self, "cleaned_data", {})
        if self.non_field_errors():
            data = {k: v for k, v in data.items() if k not in ("date_from", "date_to")}
        return {
            "kind": data.get("kind") or "",
            "actor_label": data.get("actor") or "",
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }


class SessionImportIntoForm(WorkbookUploadForm):
    """Units and raters into a draft: importing a 评议人 sheet again would issue its codes a
    second time, so adding codes to groups that have some must be asked for."""

    add_codes = forms.BooleanField(
        label=_("追加评议码"),
        required=False,
        help_text=_(
            "已有评议码的评议组再次导入“评议人”时，会另外生成新的评议码。确要追加时才勾选；"
            "不勾选则此类导入被拒绝，避免重复导入同一文件使评议码翻倍。"
        ),
    )


class SessionTemplateForm(forms.Form):
    """A district's template as its organisers edit it (sessions/template_services.py)."""

    title = forms.CharField(
        label=_("模板名称"),
        max_length=200,
        help_text=_("新评议会未填名称时，以“年度 + 模板名称”命名，如“2026年年中述职讲评会”。"),
    )
    categories = forms.CharField(
        label=_("单位类别"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("每行一个：名称 | 交叉评议归属（镇(街道)、部门或其他）。"),
    )
    groups = forms.CharField(
        label=_("评议组"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "每行一个：名称 | 权重 | 交叉评议归属 | 可现场问政（是/否） | 县级领导组（是/否）。"
        ),
    )
