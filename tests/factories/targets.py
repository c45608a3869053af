"""Targets of a district's year and their breakdown to units (targets/models.py)."""

from decimal import Decimal

import factory

from org.models import District, OrgUnit
from org.services import default_district
from targets.models import Target, TargetUnit


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"district-{n}")
    name = factory.Sequence(lambda n: f"第{n}区")


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    district = factory.LazyFunction(default_district)
    code = factory.Sequence(lambda n: f"U{n + 1:04d}")
    name = factory.Sequence(lambda n: f"单位{n:03d}")


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    district = factory.LazyFunction(default_district)
    year = 2026
    code = factory.Sequence(lambda n: f"{n + 1}")
    title = factory.Sequence(lambda n: f"指标{n + 1}")
    goal = Decimal(100)
    points = Decimal(10)


class TargetUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetUnit

    target = factory.SubFactory(TargetFactory)
    org_unit = factory.SubFactory(
        OrgUnitFactory, district=factory.SelfAttribute("..target.district")
    )
