"""Test data for every app: factory_boy factories for the review models here (sessions always
get their ScoringScheme), and beside them, by app:

- ``followups``, ``questions``: 督办事项 and 现场问政 (meeting);
- ``projects``: key projects, milestones and their workbooks;
- ``scoring``: a small scored session whose numbers are checked by hand; ``scores``: 其他考核
  workbooks;
- ``workbooks``, ``paper``: session and paper-ballot workbooks built in code (the files saved by
  LibreOffice are under tests/fixtures/workbooks);
- ``raters``: acting as a rater's device (entering a code, posting a ballot).
- ``targets``: districts, persistent units, targets and their breakdown.
"""

from decimal import Decimal

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from org.models import Membership
from org.services import default_district
from sessions.models import (
    Credential,
    Participant,
    RaterGroup,
    ReviewSession,
    ScoringScheme,
    Unit,
    UnitCategory,
)
from sessions.presets import leads_by_default
from sessions.unit_services import org_unit_of


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-123")

    @factory.post_generation
    def role(self, create, extracted, district=None, org_unit=None, **kwargs):
        """``role=Role.ORGANISER``: that role in the installation's district, or in
        ``role__district``; ``role=Role.LIAISON, role__org_unit=unit``: a liaison of ``unit``."""
        if create and extracted:
            Membership.objects.create(
                user=self,
                district=org_unit.district if org_unit else district or default_district(),
                role=extracted,
                org_unit=org_unit,
            )
        if create:
            self.save()


class ReviewSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewSession
        skip_postgeneration_save = True

    district = factory.LazyFunction(default_district)
    slug = factory.Sequence(lambda n: f"2026-test-{n}")
    title = factory.Sequence(lambda n: f"测试评议会 {n}")
    kind = ReviewSession.Kind.CUSTOM
    year = 2026
    scheme = factory.RelatedFactory("tests.factories.ScoringSchemeFactory", "session")


class ScoringSchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoringScheme

    session = factory.SubFactory(ReviewSessionFactory, scheme=None)


class UnitCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitCategory

    session = factory.SubFactory(ReviewSessionFactory)
    name = factory.Sequence(lambda n: f"类别{n}")
    side = UnitCategory.Side.OTHER


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    session = factory.SubFactory(ReviewSessionFactory)
    category = factory.SubFactory(UnitCategoryFactory, session=factory.SelfAttribute("..session"))
    name = factory.Sequence(lambda n: f"单位{n:03d}")
    # As sessions.unit_services.unit_save links it: the district's unit of that name and category.
    org_unit = factory.LazyAttribute(
        lambda unit: org_unit_of(session=unit.session, name=unit.name, category=unit.category)
    )


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    session = factory.SubFactory(ReviewSessionFactory)
    unit = factory.SubFactory(UnitFactory, session=factory.SelfAttribute("..session"))
    how = Participant.How.FIXED


class RaterGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RaterGroup

    session = factory.SubFactory(ReviewSessionFactory)
    name = factory.Sequence(lambda n: f"评议组{n}")
    weight = Decimal("20")
    # As a template or a workbook flags it (sessions.presets.leads_by_default).
    is_leaders = factory.LazyAttribute(lambda group: leads_by_default(group.name))


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Credential

    session = factory.SubFactory(ReviewSessionFactory)
    group = factory.SubFactory(RaterGroupFactory, session=factory.SelfAttribute("..session"))
    code = factory.Sequence(lambda n: f"T{n:07d}")


class BallotFactory(factory.django.DjangoModelFactory):
    """A submitted anonymous ballot (no grades), made as sessions/rating.py makes one: the
    ballot knows the group and holder unit, and its credential is only marked as used."""

    class Meta:
        model = "review.Ballot"

    credential = factory.SubFactory(CredentialFactory)
    session = factory.SelfAttribute("credential.session")
    group = factory.SelfAttribute("credential.group")
    holder_unit = factory.SelfAttribute("credential.holder_unit")
    receipt = factory.Sequence(lambda n: f"R{n:07d}")

    @classmethod
    def _create(cls, model_class, *args, credential, receipt, **kwargs):
        ballot = model_class.objects.create(*args, **kwargs)
        credential.submitted_at = timezone.now()
        credential.receipt = receipt
        credential.save(update_fields=["submitted_at", "receipt"])
        ballot.used_credential = credential  # for tests; nothing stored links them
        return ballot


class CriterionFactory(factory.django.DjangoModelFactory):
    """A criterion of per-criterion rating (docs/design.md §4.3)."""

    class Meta:
        model = "review.Criterion"

    session = factory.SubFactory(ReviewSessionFactory)
    name = factory.Sequence(lambda n: f"指标{n}")
    weight = Decimal("50")
    order = factory.Sequence(lambda n: n)


class PaperBallotFactory(factory.django.DjangoModelFactory):
    """A keyed-in paper ballot (纸质票, docs/design.md §5): no credential is involved."""

    class Meta:
        model = "review.Ballot"

    session = factory.SubFactory(ReviewSessionFactory)
    group = factory.SubFactory(RaterGroupFactory, session=factory.SelfAttribute("..session"))
    source = "paper"
    paper_number = factory.Sequence(lambda n: f"P{n:04d}")
