"""The demo's awards (docs/awards.md, "The demo"): for a review session's district and year,
综合目标管理优秀单位 (the best 2 of each category by the annual 目标考核 score, at least 85, from
the year's targets: the demo's annual session is still open for rating, so nothing of it is
published to rank by) and 先进个人 (two nominations), taken through 公示 with one dismissed
objection, to the final list and the 表彰决定. Running it again on the same year changes
nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from sessions.models import ReviewSession

from . import services
from .models import Programme

UNITS_NAME = "综合目标管理优秀单位"
PERSONS_NAME = "综合目标管理先进个人"
PERSONS = (("张明", "办公室主任"), ("李华", "综合科科长"))
PUBLICITY_DAYS = 5
MIN_TARGET_SCORE = Decimal(85)


def load_demo_awards(session: ReviewSession, actor) -> list[Programme]:
    """Both programmes of ``session``'s district and year, decided; the existing ones when the
    demo has run before."""
    district, year = session.district, session.year
    found = list(
        Programme.objects.filter(district=district, year=year, name__in=[UNITS_NAME, PERSONS_NAME])
    )
    if found:
        return found
    today = timezone.localdate()
    # 公示 ended yesterday, so the list can be made final today.
    start = today - datetime.timedelta(days=PUBLICITY_DAYS + 1)
    end = today - datetime.timedelta(days=1)

    units = services.programme_save(
        actor=actor,
        district=district,
        year=year,
        name=UNITS_NAME,
        kind=Programme.Kind.UNIT,
        source=Programme.Source.TARGET,
        min_score=MIN_TARGET_SCORE,
        quota_default=2,
    )
    listed = [n for n in services.nominations_compute(programme=units, actor=actor) if n.active]

    persons = services.programme_save(
        actor=actor,
        district=district,
        year=year,
        name=PERSONS_NAME,
        kind=Programme.Kind.PERSON,
        source=Programme.Source.NOMINATED,
        per_unit_quota=1,
    )
    nominating = [n.org_unit for n in listed[: len(PERSONS)]]
    if len(nominating) < len(PERSONS):
        nominating = list(session.units.select_related("org_unit").order_by("name")[: len(PERSONS)])
        nominating = [u.org_unit for u in nominating]
    for org_unit, (name, post) in zip(nominating, PERSONS, strict=False):
        services.person_nominate(
            programme=persons, org_unit=org_unit, person_name=name, post=post, actor=actor
        )

    for programme in (units, persons):
        services.publicise(programme=programme, start=start, end=end, actor=actor)
    first = units.nominations.filter(excluded=False, withdrawn=False).first()
    objection = services.objection_record(
        nomination=first,
        summary="反映该单位部分工作台账不全。",
        received_at=timezone.make_aware(
            datetime.datetime.combine(start + datetime.timedelta(days=1), datetime.time(10))
        ),
        actor=actor,
    )
    services.objection_decide(
        objection=objection,
        outcome=objection.Outcome.DISMISSED,
        note="经核查，台账齐全，异议不成立。",
        actor=actor,
    )
    for programme in (units, persons):
        services.finalise(programme=programme, actor=actor, today=today)
    return services.decide(
        programmes=[units, persons],
        number=f"{district.name}文〔{year + 1}〕1号",
        date=today,
        issuer=f"中共{district.name}委 {district.name}人民政府",
        signatory="",
        body=(
            f"{year}年，全区各单位围绕年度目标任务，真抓实干、奋勇争先，圆满完成了各项工作任务。"
            "为表彰先进、激励担当，经年度综合考核、公示，区委、区政府决定，"
            f"对{UNITS_NAME}和{PERSONS_NAME}予以通报表彰。\n"
            "希望受表彰的单位和个人珍惜荣誉、再接再厉，全区各单位要以先进为榜样，"
            "为全区高质量发展作出新的更大贡献。"
        ),
        actor=actor,
    )
