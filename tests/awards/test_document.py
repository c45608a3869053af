"""The 表彰决定 PDF (awards/document.py): A4, the title naming what it awards, the body, the
lists grouped by programme, issuing body and date, and the page's view."""

import shutil
import subprocess
from datetime import date

import pytest
from django.urls import reverse

from awards import document, services
from tests.factories.awards import (
    AFTER_PUBLICITY,
    computed,
    make_programme,
    person_programme,
    publicised,
    published_world,
)

pytestmark = pytest.mark.django_db


def poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return found


def pdf_text(pdf: bytes) -> str:
    found = subprocess.run(  # noqa: S603  (our own bytes into a fixed command)
        [poppler("pdftotext"), "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return found.stdout.decode()


def decided_pair():
    w = published_world()
    units = make_programme(session=w.session, top_n=1)
    computed(units)
    persons = person_programme(district=w.session.district, name="先进个人")
    services.person_nominate(
        programme=persons,
        org_unit=w.towns[0].org_unit,
        person_name="张明",
        post="党政办主任",
        actor=None,
    )
    for programme in (units, persons):
        publicised(programme)
        services.finalise(programme=programme, actor=None, today=AFTER_PUBLICITY)
    services.decide(
        programmes=[units, persons],
        number="惠文〔2027〕3号",
        date=date(2027, 1, 15),
        issuer="中共惠济区委 惠济区人民政府",
        signatory="王书记",
        body="为表彰先进，区委、区政府决定予以通报表彰。\n希望受表彰的单位和个人再接再厉。",
        actor=None,
    )
    return units, persons


def test_decision_title_lists_the_programmes():
    units, persons = decided_pair()
    assert (
        document.decision_title([units, persons])
        == "关于表彰2026年度综合目标管理优秀单位和先进个人的决定"
    )
    assert document.joined(["甲", "乙", "丙"]) == "甲、乙和丙"


def test_decision_pdf_prints_the_lists_by_programme():
    units, _persons = decided_pair()

    pdf = document.decision_pdf(units)

    assert pdf.startswith(b"%PDF")
    # Without the layout's spaces and line breaks: the title wraps on A4.
    text = "".join(pdf_text(pdf).split())
    for expected in (
        "关于表彰2026年度综合目标管理优秀单位和先进个人的决定",
        "惠文〔2027〕3号",
        "希望受表彰的单位和个人再接再厉",
        "综合目标管理优秀单位",
        "镇(街道)（1 个）",
        "东风街道",
        "财政局",
        "先进个人",
        "张明（城关镇党政办主任）",
        "2027年1月15日",
        "（盖章）",
    ):
        assert "".join(expected.split()) in text, expected
    assert "教育局" not in text
    info = subprocess.run(  # noqa: S603  (our own bytes into a fixed command)
        [poppler("pdfinfo"), "-"], input=pdf, capture_output=True, check=True
    )
    assert "595.276 x 841.89 pts (A4)" in info.stdout.decode()


def test_decision_pdf_view(organiser_client):
    units, persons = decided_pair()

    response = organiser_client.get(
        reverse("awards:decision_pdf", args=[units.district.code, 2026, persons.pk])
    )

    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert "综合目标管理优秀单位" in pdf_text(response.content)


def test_decision_pdf_not_found_before_the_decision(organiser_client):
    w = published_world()
    programme = make_programme(session=w.session)
    url = reverse("awards:decision_pdf", args=[programme.district.code, 2026, programme.pk])
    assert organiser_client.get(url).status_code == 404
