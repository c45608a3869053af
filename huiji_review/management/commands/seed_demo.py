"""python manage.py seed_demo — load the demo of docs/design.md §1 (stable interface, section 5).

Builds the mid-year session (8 towns fixed, 12 departments drawn from a pool with a recorded
seed, speaking order drawn, 4 rater groups, credentials) and the annual session (40 units), plus
one staff account per role, and the district's targets of both years (targets/demo.py): the
annual session's 目标考核 comes from them (docs/targets.md, "The demo"), and that year's awards
taken to the 表彰决定 (docs/awards.md, "The demo"). Running it again changes nothing: `make demo` may run it any number
of times.
"""

import datetime
import random

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from awards.demo import load_demo_awards
from meeting.demo import load_demo_commitments, load_demo_meeting
from meeting.stage import stage_for
from org.access import Role
from org.models import District, Membership
from org.services import default_district
from projects.demo import load_demo_projects
from scoring.services import external_targets_fill, result_publish
from sessions import draw_services, rating, services, unit_services
from sessions.credentials import credentials_generate
from sessions.models import DraftGrade, ReviewSession
from sessions.scheme_services import scheme_update
from targets.demo import load_demo_targets
from targets.models import Target

MIDYEAR_SLUG = "demo-2026-midyear"
MIDYEAR_YEAR = 2026
ANNUAL_SLUG = "demo-2025-annual"
DRAW_SEED = "20260715"
ORDER_SEED = "20260716"
BALLOT_SEED = "20260120"
ANNUAL_OPEN_CARDS = 6  # cards of the annual session left unused, for trying the form
PUBLISHED_SLUG = "demo-2024-annual"
PUBLISHED_BALLOT_SEED = "20250116"
# In the published 2024 session the towns' own cards mark towns up (docs/results.md, "Rater
# bias"): the bias report flags that group, and no other.
TOWN_FAVOUR = 0.45
# The 2024 通报 in official-document format (docs/results.md, "通报").
PUBLISHED_NOTICE = {
    "notice_issuer": "中共郑州市惠济区委组织部",
    "notice_number": "惠组〔2025〕3号",
    "notice_signatory": "中共郑州市惠济区委组织部",
    "notice_copy_to": "区委、区人大常委会、区政府、区政协领导，区纪委监委",
    "notice_printed_by": "中共郑州市惠济区委组织部办公室",
}


def _demo_grade(rng: random.Random, standing: float) -> str:
    """A grade for a unit of the given standing (0 weakest … 1 strongest): mostly 好 and 较好,
    as in real meetings, with the weaker units drawing more 一般 and 差."""
    weights = [30 + 50 * standing, 40, 25 - 15 * standing, 8 - 6 * standing, 3]
    return rng.choices(["good", "fairly_good", "average", "poor", "abstain"], weights)[0]


TOWNS = [
    "迎宾路街道",
    "大河路街道",
    "长兴路街道",
    "刘寨街道",
    "老鸦陈街道",
    "新城街道",
    "花园口镇",
    "古荥镇",
]
GOVERNMENT = [
    "区发改委", "区财政局", "区教体局", "区科工局", "区司法局", "区民政局", "区人社局",
    "区自然资源局", "区住建局", "区城管局", "区交通局", "区农委", "区商务局", "区文广旅局",
    "区卫健委", "区应急局", "区市场监管局", "区医保局",
]  # fmt: skip
COORDINATING = [
    "区委社治委",
    "区委办",
    "区政府办",
    "区委组织部",
    "区委宣传部",
    "区委政法委",
    "区委编办",
]
PARTY_MASS = ["区总工会", "团区委", "区妇联", "区科协", "区残联", "区工商联", "区委党校"]
UNITS_BY_CATEGORY = {
    "镇(街道)": TOWNS,
    "政府部门": GOVERNMENT,
    "统筹协调部门": COORDINATING,
    "党群服务部门": PARTY_MASS,
}

# Demo logins; printed at the end. Refused outside DEBUG unless --force (see handle()).
DEMO_PASSWORD = "huiji-demo-2026"  # noqa: S105
ACCOUNTS = [
    ("organiser", Role.ORGANISER, "组织部 王组织"),
    ("moderator", Role.MODERATOR, "主持人 李主持"),
    ("observer", Role.OBSERVER, "纪委监督 赵观察"),
    ("office", Role.OFFICE, "区委督查室 钱督查"),
]
# The liaison (单位填报员) of one unit, for the targets pages (docs/targets.md, "The demo").
LIAISON = ("liaison", "区住建局", "区住建局 孙填报")
ANNUAL_TARGET_WEIGHTS = {"weight_review": 70, "weight_target": 30}

# A second, smaller district on the same installation (docs/design.md, "District"): its own
# staff, who see nothing of Huiji's sessions, and Huiji's staff nothing of its.
SECOND_DISTRICT = ("guancheng", "管城回族区")
SECOND_SLUG = "guancheng-2026-midyear"
SECOND_ACCOUNTS = [
    ("gc-organiser", Role.ORGANISER, "管城区委组织部 陈组织"),
    ("gc-moderator", Role.MODERATOR, "管城主持人 周主持"),
    ("gc-observer", Role.OBSERVER, "管城纪委监督 吴观察"),
]
SECOND_UNITS = {
    "镇(街道)": ["北下街街道", "西大街街道", "南关街道", "城东路街道"],
    "政府部门": ["管城区财政局", "管城区教育局", "管城区民政局"],
}


class Command(BaseCommand):
    help = "加载演示数据（年中与年度两场评议会、工作人员账号、评议码）；可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="allow running with DEBUG off (demo passwords!)"
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo 会创建使用公开演示密码的账号，生产环境（DEBUG=false）下默认拒绝运行；"
                "确需运行请加 --force。 seed_demo creates accounts with a public demo password and "
                "refuses to run with DEBUG off unless --force is given."
            )
        with transaction.atomic():
            admin = self._accounts()
            # The annual session (January) first: its commitments come back at the mid-year
            # meeting (July) for a 回头看.
            # The year before's annual session, published: its rankings are what the 2025
            # results compare with, and its bias report has a group to flag.
            self._once(PUBLISHED_SLUG, lambda: self._published_annual(admin))
            annual = self._once(ANNUAL_SLUG, lambda: self._annual(admin))
            midyear = self._once(MIDYEAR_SLUG, lambda: self._midyear(admin))
            second = self._once(SECOND_SLUG, lambda: self._second_district(admin))
            self._targets(admin, annual)
        self._print_summary(midyear, annual)
        self._print_second(second)

    def _accounts(self) -> User:
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        huiji = default_district()
        self._staff(huiji, ACCOUNTS)
        # How Huiji's own documents name its offices (docs/targets.md, "Notices"), set once.
        District.objects.filter(pk=huiji.pk, supervision_office="").update(
            supervision_office="中共郑州市惠济区委督查室",
            objection_office="区委组织部、区委督查室",
        )
        return admin

    def _once(self, slug: str, make) -> ReviewSession:
        """The demo session ``slug``, made by ``make()`` the first time only."""
        session = ReviewSession.objects.filter(slug=slug).first()
        if session is None:
            session = make()
            self.stdout.write(f"created {session.slug} ({session.district})")
        else:
            self.stdout.write(f"exists  {session.slug} (unchanged)")
        return session

    def _staff(self, district, accounts) -> None:
        for username, role, full_name in accounts:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.first_name = full_name
                user.set_password(DEMO_PASSWORD)
                user.save()
            Membership.objects.get_or_create(user=user, district=district, role=role)

    def _targets(self, admin, annual: ReviewSession) -> None:
        """The district's targets: the annual session's year reported in full and taken into
        its 目标考核, the mid-year's year three quarters in (docs/targets.md, "The demo")."""
        district = default_district()
        username, unit_name, full_name = LIAISON
        liaison, created = User.objects.get_or_create(username=username)
        if created:
            liaison.first_name = full_name
            liaison.set_password(DEMO_PASSWORD)
            liaison.save()
        unit = district.units.get(name=unit_name)
        Membership.objects.get_or_create(
            user=liaison, district=district, role=Role.LIAISON, defaults={"org_unit": unit}
        )
        if Target.objects.filter(district=district).exists():
            self.stdout.write("exists  targets (unchanged)")
            return
        for year, quarters in ((annual.year, 4), (MIDYEAR_YEAR, 3)):
            counts = load_demo_targets(
                district, year, quarters=quarters, actor=admin, liaison=liaison
            )
            self.stdout.write(f"created targets {year}: {counts}")
        external_targets_fill(session=annual, actor=admin)
        load_demo_awards(annual, admin)

    def _second_district(self, admin) -> ReviewSession:
        code, name = SECOND_DISTRICT
        district, _created = District.objects.get_or_create(code=code, defaults={"name": name})
        self._staff(district, SECOND_ACCOUNTS)
        session = services.session_create(
            kind=ReviewSession.Kind.MIDYEAR,
            year=2026,
            title="管城回族区2026年年中述职讲评会",
            date=datetime.date(2026, 7, 22),
            venue="管城回族区行政中心会议室",
            actor=admin,
            slug=SECOND_SLUG,
            district=district,
        )
        self._add_units(session, admin, SECOND_UNITS, participates=lambda category: True)
        draw_services.draw_speaking_order(session=session, actor=admin, seed=ORDER_SEED)
        groups = {g.name: g for g in session.rater_groups.all()}
        credentials_generate(session=session, group=groups["县级领导"], actor=admin, count=5)
        return session

    def _print_second(self, session) -> None:
        self.stdout.write(
            f"  {session.district}: {session.title} ({session.participants.count()} 个述职单位)"
        )
        for username, role, _full_name in SECOND_ACCOUNTS:
            self.stdout.write(f"    {Role(role).label:<4} {username} / {DEMO_PASSWORD}")

    def _add_units(self, session, admin, names_by_category, *, participates):
        categories = {c.name: c for c in session.categories.all()}
        for category_name, names in names_by_category.items():
            for name in names:
                unit_services.unit_save(
                    session=session,
                    actor=admin,
                    name=name,
                    category=categories[category_name],
                    participates=participates(category_name),
                )

    def _credentials(self, session, admin, *, leaders, public):
        groups = {g.name: g for g in session.rater_groups.all()}
        units = {u.name: u for u in session.units.all()}
        leader_group = groups["县级领导"]
        public_group = next(g for name, g in groups.items() if name.startswith("两代表一委员"))
        credentials_generate(session=session, group=leader_group, actor=admin, count=leaders)
        credentials_generate(session=session, group=public_group, actor=admin, count=public)
        # Every town and department rates with one card that knows its own unit (section 4.2).
        for name, unit in units.items():
            group = groups["镇(街道)"] if name in TOWNS else groups["区直部门"]
            credentials_generate(
                session=session, group=group, actor=admin, count=1, holder_unit=unit
            )

    def _midyear(self, admin) -> ReviewSession:
        session = services.session_create(
            kind=ReviewSession.Kind.MIDYEAR,
            year=MIDYEAR_YEAR,
            title="2026年年中述职讲评暨现场问政会",
            date=datetime.date(2026, 7, 16),
            venue="区行政中心一楼大会议室",
            actor=admin,
            slug=MIDYEAR_SLUG,
        )
        self._add_units(
            session,
            admin,
            UNITS_BY_CATEGORY,
            participates=lambda category: category == "镇(街道)",
        )
        # 129 key projects owned by the district's units, coloured by rule as of the meeting.
        load_demo_projects(session, admin)
        # The towns draw 12 departments at random from the three department categories.
        draw_services.draw_participants(
            drawn_by="城关镇党委书记 张三",
            session=session,
            actor=admin,
            categories=session.categories.exclude(name="镇(街道)"),
            count=12,
            seed=DRAW_SEED,
        )
        draw_services.draw_speaking_order(session=session, actor=admin, seed=ORDER_SEED)
        self._credentials(session, admin, leaders=15, public=20)
        session = services.session_transition(
            session=session, target=ReviewSession.Status.READY, actor=admin
        )
        # The meeting is under way: agenda, 现场问政 with one vote still open, 督办事项.
        return load_demo_meeting(session, admin)

    def _annual_session(self, admin, *, year: int, title: str, date, slug: str):
        """An annual session of all 40 units, every one taking part."""
        session = services.session_create(
            kind=ReviewSession.Kind.ANNUAL,
            year=year,
            title=title,
            date=date,
            venue="区行政中心一楼大会议室",
            actor=admin,
            slug=slug,
        )
        self._add_units(session, admin, UNITS_BY_CATEGORY, participates=lambda category: True)
        return session

    def _open_for_rating(self, session, admin) -> ReviewSession:
        """The annual cards (15 leaders, 15 of the public, one a unit), then ready → rating."""
        self._credentials(session, admin, leaders=15, public=15)
        for status in (ReviewSession.Status.READY, ReviewSession.Status.RATING):
            session = services.session_transition(session=session, target=status, actor=admin)
        return session

    def _published_annual(self, admin) -> ReviewSession:
        session = self._annual_session(
            admin,
            year=2024,
            title="2024年度综合考核述职评议会",
            date=datetime.date(2025, 1, 16),
            slug=PUBLISHED_SLUG,
        )
        ReviewSession.objects.filter(pk=session.pk).update(**PUBLISHED_NOTICE)
        # Flags are noted in the 通报, as the scheme declares before rating.
        scheme_update(session=session, actor=admin, bias_flag_action="note")
        draw_services.draw_speaking_order(session=session, actor=admin, seed="20250116")
        session = self._open_for_rating(session, admin)
        self._ballots(session, keep_open=0, seed=PUBLISHED_BALLOT_SEED, town_favour=TOWN_FAVOUR)
        session = services.session_transition(
            session=session, target=ReviewSession.Status.CLOSED, actor=admin
        )
        result_publish(session=session, actor=admin)
        return session

    def _annual(self, admin) -> ReviewSession:
        # 40 units: 8 towns and 32 departments, all taking part.
        session = self._annual_session(
            admin,
            year=2025,
            title="2025年度综合考核述职评议会（三述两评一问）",
            date=datetime.date(2026, 1, 20),
            slug=ANNUAL_SLUG,
        )
        # 综合考核 = 70% 评议 + 30% 目标考核, the latter from the district's targets.
        scheme_update(session=session, actor=admin, **ANNUAL_TARGET_WEIGHTS)
        draw_services.draw_speaking_order(session=session, actor=admin, seed="20260120")
        # Open for rating, so that the demo's credential cards lead to a form that can be filled.
        session = self._open_for_rating(session, admin)
        self._ballots(session, keep_open=ANNUAL_OPEN_CARDS)
        # Leaders' commitments made at the meeting; the mid-year meeting looks back on them.
        load_demo_commitments(session, admin)
        return session

    def _ballots(self, session, *, keep_open: int, seed=BALLOT_SEED, town_favour=0.0):
        """Submitted ballots for all but ``keep_open`` cards, through the raters' own service
        (drafts, then ballot_submit), so that the results pages have something to show while a
        few cards still lead to an empty form. Each unit has a standing that tilts its grades;
        the draws are seeded, so every run gives the same ballots. ``town_favour`` lifts the
        standing of towns on the towns' own cards."""
        rng = random.Random(seed)
        standing = {unit.pk: rng.random() for unit in session.units.order_by("name")}
        cards = list(session.credentials.select_related("holder_unit").order_by("id"))
        for credential in cards[: len(cards) - keep_open]:
            # A rater opens the form before grading: without it the monitor showed fewer codes
            # opened than submitted.
            rating.credential_open(credential=credential)
            units = rating.rateable_units(credential)
            town_card = credential.holder_unit is not None and credential.holder_unit.name in TOWNS
            DraftGrade.objects.bulk_create(
                DraftGrade(
                    credential=credential,
                    unit=unit,
                    grade=_demo_grade(
                        rng,
                        min(1.0, standing[unit.pk] + town_favour)
                        if town_card and unit.name in TOWNS
                        else standing[unit.pk],
                    ),
                )
                for unit in units
            )
            rating.ballot_submit(credential=credential)

    def _print_summary(self, *sessions):
        base = settings.SITE_URL
        self.stdout.write("")
        self.stdout.write("演示数据已就绪 / demo ready:")
        for session in sessions:
            self.stdout.write(
                f"  {session.title}: {base}/sessions/{session.slug}/  "
                f"({session.participants.count()} 个述职单位, {session.credentials.count()} 个评议码, "
                f"状态 {session.get_status_display()})"
            )
        self.stdout.write(f"  登录 / login: {base}/login/")
        for username, role, _full_name in ACCOUNTS:
            self.stdout.write(f"    {Role(role).label:<4} {username} / {DEMO_PASSWORD}")
        self.stdout.write(
            f"    {Role.LIAISON.label} {LIAISON[0]} / {DEMO_PASSWORD}  ({LIAISON[1]}, {base}/targets/)"
        )
        self.stdout.write(f"    管理员 admin / {DEMO_PASSWORD}  ({base}/admin/)")
        rating = [s for s in sessions if s.status == ReviewSession.Status.RATING]
        credential = (
            rating[0].credentials.filter(submitted_at__isnull=True).order_by("id").first()
            if rating
            else None
        )
        if credential:
            self.stdout.write(f"  评议表示例 / a rater's form: {credential.rating_url}")
        live = [s for s in sessions if s.status == ReviewSession.Status.LIVE]
        if live:
            session = live[0]
            stage = stage_for(session)
            representative = session.credentials.filter(group__can_ask=True).order_by("id").first()
            self.stdout.write(
                f"  主持人控制台 / moderator console: {base}"
                + reverse("meeting:console", args=[session.slug])
            )
            self.stdout.write(
                f"  大屏 / big screen: {base}" + reverse("screen:screen", args=[stage.screen_token])
            )
            if representative:
                # The card's address, as its QR code holds it; 现场问政 is linked from there.
                self.stdout.write(
                    f"  代表平板 / a representative's tablet: {representative.rating_url}"
                    f" (→ {base}{reverse('tablet:live')})"
                )
