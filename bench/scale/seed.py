"""The scale test's data, built through the project's services as an organiser's pages would:
one district per hall, each with a mid-year session under way (docs/deployment.md, section 8).

Per district (org.District, made as seed_demo makes its second district): a 年中述职讲评会 from
the district's template, ``units`` units that all report (persistent OrgUnits are made by
``unit_save``), the speaking order drawn, ``tablets`` codes of the group that may ask and vote
(两代表一委员/社会公众代表: the representatives' tablets), the meeting live with its agenda and
the first speaker's timer running, one answered question whose satisfaction vote is open (what
every tablet's vote panel shows), then rating opened and the big screen on 参与情况 (which
changes with every ballot).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/: bench_ballots

import bench_ballots as bb  # noqa: E402

TOWNS = ["城关街道", "北关街道", "南关街道", "东城街道", "西城街道", "河口镇", "古城镇", "新庄镇"]
DEPARTMENTS = [
    "区发改委", "区财政局", "区教体局", "区民政局", "区人社局", "区住建局",
    "区城管局", "区交通局", "区卫健委", "区应急局", "区市场监管局", "区医保局",
]  # fmt: skip


@dataclasses.dataclass
class Hall:
    district: str
    session_id: int
    slug: str
    screen_token: str
    codes: list[str]  # one per tablet, in the order tablets take them
    units: int  # units on each ballot


def build_halls(*, districts: int, tablets: int, units: int, seed: str) -> list[Hall]:
    from meeting import agenda, questions
    from org.models import District
    from sessions import draw_services, services, unit_services
    from sessions.models import ReviewSession

    if not 2 <= units <= len(TOWNS) + len(DEPARTMENTS):
        raise ValueError(f"units must be 2..{len(TOWNS) + len(DEPARTMENTS)}")
    halls = []
    for number in range(1, districts + 1):
        district, _created = District.objects.get_or_create(
            code=f"scale{number:02d}", defaults={"name": f"压测第{number:02d}区"}
        )
        session = services.session_create(
            kind=ReviewSession.Kind.MIDYEAR,
            year=2026,
            title=f"{district.name}2026年年中述职讲评会",
            actor=None,
            slug=f"scale-{number:02d}-2026-midyear",
            district=district,
        )
        categories = {c.name: c for c in session.categories.all()}
        towns = units // 2
        names = [("镇(街道)", name) for name in TOWNS[:towns]] + [
            ("政府部门", name) for name in DEPARTMENTS[: units - towns]
        ]
        made = [
            unit_services.unit_save(
                session=session,
                actor=None,
                name=name,
                category=categories[category],
                participates=True,
            )
            for category, name in names
        ]
        draw_services.draw_speaking_order(session=session, actor=None, seed=f"{seed}-{number}")
        representatives = session.rater_groups.get(can_ask=True)
        codes = bb.issue_credentials(session, representatives, tablets)
        for target in (ReviewSession.Status.READY, ReviewSession.Status.LIVE):
            session = services.session_transition(session=session, target=target, actor=None)
        agenda.agenda_generate(session=session, actor=None, limit_seconds=300)
        agenda.agenda_next(session=session, actor=None)
        question = questions.question_add(
            session=session,
            actor=None,
            unit=made[0],
            text="老旧小区改造去年就已立项，为什么到现在还没有开工？请说明进展和完工时间。",
            asker="人大代表 李某",
        )
        questions.question_approve(question=question, actor=None)
        questions.question_put_on_screen(question=question, actor=None)
        questions.question_answered(
            question=question, actor=None, summary="下月开工，年底前完成一期改造。"
        )
        questions.vote_open(question=question, actor=None)
        session = services.session_transition(
            session=session, target=ReviewSession.Status.RATING, actor=None
        )
        stage = agenda.screen_mode_set(session=session, actor=None, mode="participation")
        halls.append(
            Hall(
                district=district.name,
                session_id=session.pk,
                slug=session.slug,
                screen_token=stage.screen_token,
                codes=codes,
                units=len(made),
            )
        )
    return halls


def card_cookie(code: str) -> str:
    """The card cookie ``POST /r/`` would set for ``code`` (sessions/views/card.py), signed with
    the servers' SECRET_KEY: the tablets' cards, as if each had been scanned before the test."""
    from django.core import signing

    from sessions.views import card

    return signing.get_cookie_signer(salt=card.COOKIE_NAME + card.COOKIE_SALT).sign(code)
