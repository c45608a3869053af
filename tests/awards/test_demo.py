"""awards/demo.py on a session of the test with its year's targets reported: two programmes
taken to the decision."""

import pytest

from awards.demo import PERSONS_NAME, UNITS_NAME, load_demo_awards
from awards.document import decision_pdf
from awards.models import Objection, Programme
from tests.factories import UserFactory
from tests.factories.awards import published_world, with_target_scores

pytestmark = pytest.mark.django_db


def test_load_demo_awards_decides_both_programmes_once():
    w = published_world()
    admin = UserFactory(is_superuser=True)
    # 目标考核 on 100: 95, 90, 88 and 70; the programme takes 85 or more, 2 a category.
    with_target_scores(w)

    decided = load_demo_awards(w.session, admin)

    assert [(p.name, p.status) for p in decided] == [
        (UNITS_NAME, Programme.Status.DECIDED),
        (PERSONS_NAME, Programme.Status.DECIDED),
    ]
    units, persons = decided
    assert [n.org_unit.name for n in units.nominations.filter(withdrawn=False)] == [
        "财政局",
        "东风街道",
        "城关镇",
    ]
    assert [(n.person_name, n.org_unit.name) for n in persons.nominations.all()] == [
        ("张明", "财政局"),
        ("李华", "东风街道"),
    ]
    assert list(Objection.objects.values_list("outcome", flat=True)) == ["dismissed"]
    assert units.decision_number == persons.decision_number
    assert decision_pdf(units).startswith(b"%PDF")

    again = load_demo_awards(w.session, admin)
    assert sorted(p.pk for p in again) == sorted(p.pk for p in decided)
    assert Programme.objects.count() == 2
