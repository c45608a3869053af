"""The 表彰 pages (awards/views.py): another district's staff find nothing (404), the
district's staff read, only its organisers act (403), and the organiser's way through the
lifecycle in the browser."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from awards import services
from awards.models import Objection, Programme
from org.access import Role
from tests.factories import UserFactory
from tests.factories.awards import computed, make_programme, published_world
from tests.factories.targets import DistrictFactory

pytestmark = pytest.mark.django_db
Status = Programme.Status


@pytest.fixture
def programme():
    w = published_world()
    found = make_programme(session=w.session)
    computed(found)
    return found


def urls(programme) -> dict[str, str]:
    code, year, pk = programme.district.code, programme.year, programme.pk
    return {
        "list": reverse("awards:programmes", args=[code, year]),
        "detail": reverse("awards:programme", args=[code, year, pk]),
        "final": reverse("awards:final", args=[code, year]),
        "objections": reverse("awards:objections", args=[code, year, pk]),
    }


def test_anonymous_is_sent_to_log_in(client, programme):
    response = client.get(urls(programme)["list"])
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("page", ["list", "detail", "final", "objections"])
def test_staff_of_another_district_find_nothing(client, programme, page):
    client.force_login(UserFactory(role=Role.ORGANISER, role__district=DistrictFactory()))
    assert client.get(urls(programme)[page]).status_code == 404


def test_other_district_cannot_compute_or_download(client, programme):
    client.force_login(UserFactory(role=Role.ORGANISER, role__district=DistrictFactory()))
    code, year, pk = programme.district.code, programme.year, programme.pk
    assert client.post(reverse("awards:compute", args=[code, year, pk])).status_code == 404
    assert client.get(reverse("awards:decision_pdf", args=[code, year, pk])).status_code == 404


def test_observer_reads_but_may_not_act(observer_client, programme):
    code, year, pk = programme.district.code, programme.year, programme.pk
    page = observer_client.get(urls(programme)["detail"])
    assert page.status_code == 200
    assert "区直部门综合得分第 1 名（总分 92.22）" in page.content.decode()
    assert "计算提名名单" not in page.content.decode()
    assert (
        observer_client.get(reverse("awards:programme_new", args=[code, year])).status_code == 403
    )
    assert observer_client.post(reverse("awards:compute", args=[code, year, pk])).status_code == 403
    assert observer_client.get(reverse("awards:decision", args=[code, year])).status_code == 403


def test_programme_list_shows_the_year(organiser_client, programme):
    response = organiser_client.get(urls(programme)["list"])
    assert response.status_code == 200
    assert "综合目标管理优秀单位" in response.content.decode()
    assert organiser_client.get(reverse("awards:home")).status_code == 200


def test_organiser_creates_a_programme(organiser_client):
    w = published_world()
    code = w.session.district.code
    response = organiser_client.post(
        reverse("awards:programme_new", args=[code, 2026]),
        {
            "name": "重点工作先进单位",
            "kind": "unit",
            "source": "band",
            "session": w.session.pk,
            "bands": ["good"],
            "quota": "镇(街道)：1\n区直部门: 1",
            "exclude_vetoed": "on",
            "exclusions": "城关镇：年内发生安全事故",
        },
    )
    programme = Programme.objects.get(name="重点工作先进单位")
    assert response.status_code == 302
    assert response.url == reverse("awards:programme", args=[code, 2026, programme.pk])
    assert (programme.quota, programme.exclude_noticed) == ({"镇(街道)": 1, "区直部门": 1}, False)
    assert [(e.org_unit.name, e.reason) for e in programme.exclusions.all()] == [
        ("城关镇", "年内发生安全事故")
    ]
    edit = organiser_client.get(reverse("awards:programme_edit", args=[code, 2026, programme.pk]))
    assert "城关镇：年内发生安全事故" in edit.content.decode()


def test_programme_form_refusal_is_shown_with_422(organiser_client):
    w = published_world()
    response = organiser_client.post(
        reverse("awards:programme_new", args=[w.session.district.code, 2026]),
        {"name": "优秀单位", "kind": "unit", "source": "rank", "session": w.session.pk},
    )
    assert response.status_code == 422
    assert "请填写每类取前几名" in response.content.decode()
    assert not Programme.objects.exists()


def test_organiser_goes_from_list_to_decision(organiser_client, programme):
    code, year, pk = programme.district.code, programme.year, programme.pk
    today = timezone.localdate()
    start, end = today - timedelta(days=2), today + timedelta(days=2)
    nominated = organiser_client.post(
        reverse("awards:publicise", args=[code, year, pk]),
        {"start": start.isoformat(), "end": end.isoformat()},
    )
    assert nominated.status_code == 302
    publicity = organiser_client.get(reverse("awards:publicity", args=[code, year, pk]))
    text = publicity.content.decode()
    assert "2026年度综合目标管理优秀单位拟表彰名单公示" in text
    assert ("东风街道" in text, "教育局" in text) == (True, True)
    assert "请以书面形式向区委组织部、区委督查室反映" in text  # the generic wording
    programme.district.objection_office = "区委组织部干部科（电话 12345678）"
    programme.district.save(update_fields=["objection_office"])
    text = organiser_client.get(reverse("awards:publicity", args=[code, year, pk])).content
    assert "请以书面形式向区委组织部干部科（电话 12345678）反映" in text.decode()

    nomination = programme.nominations.get(org_unit__name="教育局")
    recorded = organiser_client.post(
        urls(programme)["objections"], {"nomination": nomination.pk, "summary": "反映问题"}
    )
    assert recorded.status_code == 302
    objection = Objection.objects.get(nomination=nomination)
    decided = organiser_client.post(
        reverse("awards:objection_decide", args=[code, year, pk, objection.pk]),
        {"outcome": "upheld", "note": "经核查属实"},
    )
    assert decided.status_code == 302
    nomination.refresh_from_db()
    assert nomination.withdrawn is True

    # 公示 has not ended: the page refuses and says why.
    early = organiser_client.post(reverse("awards:finalise", args=[code, year, pk]), follow=True)
    assert "公示期满后才能确定最终名单" in early.content.decode()
    services.finalise(programme=programme, actor=None, today=end + timedelta(days=1))

    response = organiser_client.post(
        reverse("awards:decision", args=[code, year]),
        {
            "programmes": [pk],
            "number": "惠文〔2027〕1号",
            "date": (end + timedelta(days=3)).isoformat(),
            "issuer": "中共惠济区委 惠济区人民政府",
            "body": "决定予以表彰。",
        },
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.status == Status.DECIDED
    final = organiser_client.get(urls(programme)["final"]).content.decode()
    assert ("教育局" in final, "东风街道" in final) == (False, True)


def test_objection_outside_the_period_is_refused_on_the_form(organiser_client, programme):
    today = timezone.localdate()
    services.publicise(
        programme=programme,
        start=today - timedelta(days=10),
        end=today - timedelta(days=5),
        actor=None,
    )
    nomination = programme.nominations.first()
    response = organiser_client.post(
        urls(programme)["objections"], {"nomination": nomination.pk, "summary": "反映问题"}
    )
    assert response.status_code == 422
    assert "异议须在公示期内" in response.content.decode()
    assert not Objection.objects.exists()


def test_refused_action_says_why_and_changes_nothing(organiser_client, programme):
    code, year, pk = programme.district.code, programme.year, programme.pk
    response = organiser_client.post(reverse("awards:finalise", args=[code, year, pk]), follow=True)
    assert "只有公示过的奖项可以确定最终名单" in response.content.decode()
    programme.refresh_from_db()
    assert programme.status == Status.NOMINATED


def test_publicity_page_is_not_found_before_publicity(organiser_client, programme):
    code, year, pk = programme.district.code, programme.year, programme.pk
    assert (
        organiser_client.get(reverse("awards:publicity", args=[code, year, pk])).status_code == 404
    )
