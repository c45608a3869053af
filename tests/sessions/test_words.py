"""sessions/words.py: the 计分办法 in plain words, exact sentences (docs/design.md §4)."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from sessions import services
from sessions.models import ScoringScheme
from sessions.words import number, scheme_in_words


def _scheme(**changes) -> ScoringScheme:
    """An unsaved scheme with section 4's defaults and ``changes``."""
    return ScoringScheme(**changes)


def _group(name: str, weight: str, min_sample: int = 3) -> SimpleNamespace:
    return SimpleNamespace(name=name, weight=Decimal(weight), min_sample=min_sample)


def _criterion(name: str, weight: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, weight=Decimal(weight))


DEFAULT_WORDS = [
    "评价等次分值：好 100 分，较好 80 分，一般 60 分，差 40 分；弃权和未评的不算有效票，"
    "不计入得分和票数。",
    "评议组得分 = 该组对该单位全部有效票分值的平均数（不去掉最高值和最低值）。",
    "综合评议得分 = 县级领导 × 40% + 区直部门 × 20% + 镇(街道) × 20% + 两代表一委员 × 20%"
    "（某组有效票少于 3 票时不计，其余组按权重重新折算）",
    "总分 = 综合评议得分 × 100% + 加减分",
    "各组得分、各项得分和总分均四舍五入保留两位小数；在本类别内按总分从高到低排名，"
    "总分相同的名次相同，后面的名次顺延（如 1、2、2、4）。",
    "等次分数线：优秀 90 分以上，良好 80 分以上，一般 70 分以上，低于 70 分为较差。",
    "优秀：90 分以上且排名在本类别前 30% 以内（并列者同等对待）；90 分以上但超出比例的评为良好。",
    "评议表不限制“好”的比例，也不检查评价是否全部相同。",
    "评议人不评价本单位；不实行交叉评议，各评议组评价全部述职单位。",
    "匿名评议：评议表不记录评议码和持有人，无法追溯到个人。",
]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("40.00"), "40"),
        (Decimal("33.50"), "33.5"),
        (Decimal("100"), "100"),
        (Decimal("0.00"), "0"),
        (Decimal("200") / Decimal("3"), "66.67"),
        (Decimal("12.345"), "12.35"),
        (7, "7"),
    ],
)
def test_number_prints_without_trailing_zeros_or_exponent(value, text):
    assert number(value) == text


@pytest.mark.django_db
def test_scheme_in_words_default_annual_preset(django_assert_num_queries):
    session = services.session_create(kind="annual", year=2026)
    scheme = session.scheme
    groups = list(session.rater_groups.all())

    with django_assert_num_queries(0):
        words = scheme_in_words(scheme, groups, [])

    assert words == DEFAULT_WORDS


def test_scheme_in_words_custom_scheme_with_components_and_criteria():
    scheme = _scheme(
        value_good=Decimal("95"),
        value_fairly_good=Decimal("85.5"),
        trimmed_mean=True,
        trim_above=7,
        weight_review=Decimal("50"),
        weight_target=Decimal("30"),
        weight_daily=Decimal("10"),
        weight_satisfaction=Decimal("10"),
        apply_bonus=True,
        tie_break_leaders=True,
        tie_break_good_share=True,
        band_excellent=Decimal("92.5"),
        excellent_cap_percent=Decimal("33.5"),
        max_good_percent=Decimal("30"),
        max_good_action="reject",
        identical_grades_action="flag",
        value_basically_satisfied=Decimal("75"),
        cross_rating=True,
        anonymous=False,
    )
    groups = [
        _group("县级领导", "40", 5),
        _group("区直部门", "20"),
        _group("镇(街道)", "20"),
        _group("两代表一委员", "20"),
        _group("特邀观察员", "0"),
    ]
    criteria = [
        _criterion("工作实绩", "50"),
        _criterion("工作作风", "30"),
        _criterion("廉洁自律", "20"),
    ]

    words = scheme_in_words(scheme, groups, criteria)

    assert words == [
        "评价等次分值：好 95 分，较好 85.5 分，一般 60 分，差 40 分；弃权和未评的不算有效票，"
        "不计入得分和票数。",
        "按评议指标评价：每张评议表对一个单位的分值是各指标分值的加权平均"
        "（权重：工作实绩 50、工作作风 30、廉洁自律 20）；弃权的指标不计入，所有指标都弃权的不算有效票。",
        "评议组得分 = 该组对该单位有效票分值的平均数；有效票多于 7 票时，先去掉一个最高值和一个最低值再平均。",
        "综合评议得分 = 县级领导 × 40% + 区直部门 × 20% + 镇(街道) × 20% + 两代表一委员 × 20%"
        "（某组有效票少于该组最少有效票数时不计，其余组按权重重新折算；"
        "最少有效票数：县级领导 5 票、区直部门 3 票、镇(街道) 3 票、两代表一委员 3 票）",
        "评议组“特邀观察员”权重为 0，其评价不计入综合评议得分。",
        "总分 = 综合评议 × 50% + 目标考核 × 30% + 日常考核 × 10% + 问政满意度 × 10% + 加减分",
        "问政满意度得分：满意 100 分，基本满意 75 分，不满意 30 分，取有效票的平均分。",
        "各组得分、各项得分和总分均四舍五入保留两位小数；在本类别内按总分从高到低排名；"
        "总分相同时依次比较县级领导组得分、“好”票占比，仍相同的名次相同，后面的名次顺延（如 1、2、2、4）。",
        "等次分数线：优秀 92.5 分以上，良好 80 分以上，一般 70 分以上，低于 70 分为较差。",
        "优秀：92.5 分以上且排名在本类别前 33.5% 以内（并列者同等对待）；"
        "92.5 分以上但超出比例的评为良好。",
        "单张评议表中评为“好”的不得超过 30%，超过的不能提交，须修改后重交；"
        "所有单位评价都相同的评议表照常接收，但标记出来供组织者复核。",
        "评议人不评价本单位；实行交叉评议：镇(街道)方的评议组只评部门，"
        "部门方的评议组只评镇(街道)，其他评议组评全部述职单位。",
        "记名评议：评议表与评议码关联，组织者可以查到评议人。",
    ]


def test_scheme_in_words_shares_are_renormalised_and_rounded_to_two_decimals():
    groups = [_group("甲", "1"), _group("乙", "1"), _group("丙", "1")]

    words = scheme_in_words(_scheme(), groups, [])

    assert words[2] == (
        "综合评议得分 = 甲 × 33.33% + 乙 × 33.33% + 丙 × 33.33%"
        "（某组有效票少于 3 票时不计，其余组按权重重新折算）"
    )


def test_scheme_in_words_share_keeps_one_decimal_without_trailing_zero():
    groups = [_group("甲", "33.5"), _group("乙", "66.5")]

    words = scheme_in_words(_scheme(), groups, [])

    assert words[2].startswith("综合评议得分 = 甲 × 33.5% + 乙 × 66.5%（")


def test_scheme_in_words_without_weighted_groups_says_so():
    words = scheme_in_words(_scheme(), [_group("县级领导", "0")], [])

    assert words[2:4] == [
        "还没有权重大于 0 的评议组，无法计算综合评议得分。",
        "评议组“县级领导”权重为 0，其评价不计入综合评议得分。",
    ]


def test_scheme_in_words_total_without_bonus_and_other_switches():
    scheme = _scheme(
        apply_bonus=False,
        tie_break_good_share=True,
        excellent_cap_enabled=False,
        max_good_percent=Decimal("40"),
        max_good_action="flag",
        identical_grades_action="reject",
    )

    words = scheme_in_words(scheme, [_group("县级领导", "40")], [])

    assert words[3:] == [
        "总分 = 综合评议得分 × 100%",
        "各组得分、各项得分和总分均四舍五入保留两位小数；在本类别内按总分从高到低排名；"
        "总分相同时比较“好”票占比，仍相同的名次相同，后面的名次顺延（如 1、2、2、4）。",
        "等次分数线：优秀 90 分以上，良好 80 分以上，一般 70 分以上，低于 70 分为较差。",
        "优秀不设比例限制。",
        "单张评议表中评为“好”的超过 40% 时照常接收，但标记出来供组织者复核；"
        "所有单位评价都相同的评议表不能提交，须修改后重交。",
        "评议人不评价本单位；不实行交叉评议，各评议组评价全部述职单位。",
        "匿名评议：评议表不记录评议码和持有人，无法追溯到个人。",
    ]


def test_scheme_in_words_single_component_other_than_review_names_it():
    scheme = _scheme(weight_review=Decimal("0"), weight_target=Decimal("100"), apply_bonus=False)

    words = scheme_in_words(scheme, [_group("县级领导", "40")], [])

    assert words[3] == "总分 = 目标考核 × 100%"


def test_scheme_in_words_max_good_action_without_percent_is_no_rule():
    scheme = _scheme(max_good_action="reject", max_good_percent=None)

    words = scheme_in_words(scheme, [_group("县级领导", "40")], [])

    assert words[-3] == "评议表不限制“好”的比例，也不检查评价是否全部相同。"


def test_scheme_in_words_is_english_when_english_is_active():
    with translation.override("en"):
        words = scheme_in_words(_scheme(), [_group("县级领导", "40"), _group("区直部门", "20")], [])

    assert words[2:4] == [
        "Overall rating score = 县级领导 × 66.67% + 区直部门 × 33.33%"
        " (a group with fewer than 3 valid votes is left out and the other groups'"
        " weights are rescaled)",
        "Total = overall rating score × 100% + bonus/penalty points",
    ]
