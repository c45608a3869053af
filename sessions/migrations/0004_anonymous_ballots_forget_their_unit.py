"""Anonymous ballots stored before the ballot box mixed them (docs/anonymity.md, "upgrading").

In every anonymous session that has no published result yet:

- a ballot no longer keeps its rater's unit (``holder_unit``): paper ballots had their own-unit
  grades left out at import already, tablet forms never offered the own unit, so no score
  changes;
- a tablet ballot gets its rater's own unit as 弃权 (per criterion where the session rates
  per criterion) when other ballots of its group grade that unit, as submission now stores it,
  so that a missing unit does not name the rater's unit;
- in a session already closed, the tablet ballots are mixed as closing now does
  (sessions/ballot_box.mix): new ids, shuffled order.

Sessions with a published result are left exactly as they are: verifying a snapshot recomputes
from the stored ballots, and it must still give the published hash. Nothing is deleted.
Afterwards ``python manage.py scrub_ballot_storage`` rewrites the tables so the old rows'
remains are gone from the database files (VACUUM cannot run inside a migration).
"""

import uuid
from collections import defaultdict

from django.db import migrations

ABSTAIN = "abstain"


def forget_units(apps, schema_editor):
    from sessions.ballot_box import mix

    Ballot = apps.get_model("review", "Ballot")
    BallotGrade = apps.get_model("review", "BallotGrade")
    Criterion = apps.get_model("review", "Criterion")
    ResultSnapshot = apps.get_model("scoring", "ResultSnapshot")
    ReviewSession = apps.get_model("review", "ReviewSession")

    published = set(ResultSnapshot.objects.values_list("session_id", flat=True))
    sessions = ReviewSession.objects.filter(scheme__anonymous=True).exclude(pk__in=published)
    for session in sessions:
        ballots = Ballot.objects.filter(session=session, credential__isnull=True)
        criteria = list(Criterion.objects.filter(session=session).values_list("pk", flat=True))
        # Which units each group's ballots grade: the group's form.
        graded = defaultdict(set)
        for group_id, unit_id in (
            BallotGrade.objects.filter(ballot__in=ballots)
            .values_list("ballot__group_id", "unit_id")
            .distinct()
        ):
            graded[group_id].add(unit_id)
        pads = []
        tablet = ballots.filter(source="tablet", holder_unit__isnull=False)
        for ballot_id, group_id, own in tablet.values_list("id", "group_id", "holder_unit_id"):
            has_own = BallotGrade.objects.filter(ballot_id=ballot_id, unit_id=own).exists()
            if own in graded[group_id] and not has_own:
                pads += [
                    BallotGrade(
                        id=uuid.uuid4(),
                        ballot_id=ballot_id,
                        unit_id=own,
                        criterion_id=criterion,
                        grade=ABSTAIN,
                    )
                    for criterion in criteria or [None]
                ]
        BallotGrade.objects.bulk_create(pads, batch_size=2000)
        ballots.filter(holder_unit__isnull=False).update(holder_unit=None)
        if session.status == "closed":
            mix(session_id=session.pk, ballot_model=Ballot, grade_model=BallotGrade)


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0003_ratergroup_can_ask"),
        ("scoring", "0001_initial"),
    ]

    operations = [migrations.RunPython(forget_units, migrations.RunPython.noop)]
