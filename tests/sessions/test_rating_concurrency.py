"""sessions/rating.py under concurrent load: many tablets submitting the same and
different credentials at once, with retries, while others are still tapping drafts. Ends with
exactly one ballot per credential, one receipt per credential, and no lost draft.

PostgreSQL only: SQLite serialises every writer, so it cannot show a race. Run with
DATABASE_URL=postgres://postgres@127.0.0.1:5432/huiji_dev .venv/bin/pytest tests/sessions/test_rating_concurrency.py
"""

import random
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection

from sessions import rating
from sessions.models import (
    Ballot,
    BallotGrade,
    Credential,
    DraftGrade,
    Grade,
    Participant,
    ReviewSession,
)
from tests.factories import (
    CredentialFactory,
    ParticipantFactory,
    RaterGroupFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL): SQLite serialises writers, so no race shows",
    ),
    pytest.mark.django_db(transaction=True),
]

WORKERS = 16
PARTICIPANTS = 10
CREDENTIALS = 30
SUBMITS_PER_CREDENTIAL = 3  # a double tap and a second tablet
RETRIES = 5
HAMMER_ROUNDS = 5
SUBMITTED = "此评议码已提交评议表，不能再修改。"


class Run:
    """Start all threads at once, and count the retries they needed."""

    def __init__(self) -> None:
        self.start = threading.Event()
        self.lock = threading.Lock()
        self.retries = 0

    def thread(self, work):
        """Wrap ``work`` to run in a pool thread: wait for the start, close the connection."""

        def run(*args):
            self.start.wait(timeout=30)
            try:
                return work(*args)
            finally:
                connection.close()

        return run

    def retrying(self, call):
        """Retry serialization, deadlock and lock errors, as a tablet's retry would."""
        for attempt in range(1, RETRIES + 1):
            try:
                return call()
            except OperationalError:
                if attempt == RETRIES:
                    raise
                with self.lock:
                    self.retries += 1
                time.sleep(0.01 * attempt)

    def all(self, jobs: list) -> list:
        """Run ``(work, *args)`` jobs on the pool; any exception in a job fails the test."""
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            futures = [pool.submit(self.thread(work), *args) for work, *args in jobs]
            self.start.set()
            return [future.result(timeout=120) for future in futures]


def _rating_session(rng: random.Random):
    """A session in rating, 10 participants, 30 credentials with complete drafts. Every
    credential has its own holder unit (the first 10 are participants, so they rate 9 units)."""
    session = ReviewSessionFactory(status=ReviewSession.Status.RATING)
    category = UnitCategoryFactory(session=session)
    participants = [
        ParticipantFactory(session=session, unit__category=category, speaking_order=order).unit
        for order in range(1, PARTICIPANTS + 1)
    ]
    outsiders = [
        UnitFactory(session=session, category=category) for _ in range(CREDENTIALS - PARTICIPANTS)
    ]
    group = RaterGroupFactory(session=session)
    credentials = [
        CredentialFactory(session=session, group=group, holder_unit=unit)
        for unit in participants + outsiders
    ]
    written = {
        credential.pk: {
            unit.pk: rng.choice(Grade.values) for unit in rating.rateable_units(credential)
        }
        for credential in credentials
    }
    # The first taps of every tablet, at once (and through the service, like every tap).
    fill = Run()
    fill.all([(_fill, fill, pk, cells) for pk, cells in written.items()])
    return session, credentials, written


def _fill(run: Run, credential_id: int, cells: dict[int, str]) -> None:
    credential = Credential.objects.get(pk=credential_id)
    for unit_id, grade in cells.items():
        run.retrying(
            lambda unit_id=unit_id, grade=grade: rating.draft_grade_set(
                credential=credential, unit_id=unit_id, criterion_id=None, grade=grade
            )
        )


def _submit(run: Run, credential_id: int, delay: float = 0.0):
    time.sleep(delay)
    credential = Credential.objects.get(pk=credential_id)
    return credential_id, run.retrying(lambda: rating.ballot_submit(credential=credential))


def _hammer(run: Run, credential_id: int, unit_ids: list[int], seed: int):
    """Tap this thread's own cells over and over; return the last grade written per cell."""
    rng = random.Random(seed)
    credential = Credential.objects.get(pk=credential_id)
    last: dict[int, str] = {}
    for _round in range(HAMMER_ROUNDS):
        for unit_id in unit_ids:
            grade = rng.choice(Grade.values)
            run.retrying(
                lambda unit_id=unit_id, grade=grade: rating.draft_grade_set(
                    credential=credential, unit_id=unit_id, criterion_id=None, grade=grade
                )
            )
            last[unit_id] = grade
    return credential_id, last


def _tap_until_refused(run: Run, credential_id: int, unit_id: int, first_grade: str):
    """Change one cell again and again while the credential is being submitted; return the
    last grade the server accepted and how many taps it accepted."""
    credential = Credential.objects.get(pk=credential_id)
    grades = [grade for grade in Grade.values if grade != first_grade] + [first_grade]
    accepted, last = 0, first_grade
    for tap in range(5000):
        grade = grades[tap % len(grades)]
        try:
            run.retrying(
                lambda grade=grade: rating.draft_grade_set(
                    credential=credential, unit_id=unit_id, criterion_id=None, grade=grade
                )
            )
        except ValidationError as error:
            assert error.messages == [SUBMITTED]
            return credential_id, unit_id, last, accepted
        accepted, last = accepted + 1, grade
    raise AssertionError(f"credential {credential_id} was never submitted")


def _ballot_grades(session) -> Counter:
    """Each ballot's {unit: grade}, as a multiset (nothing on an anonymous ballot names its
    credential, so ballots are matched to what was drafted by their content)."""
    by_ballot: dict = defaultdict(dict)
    for ballot_id, unit_id, grade in BallotGrade.objects.filter(
        ballot__session=session
    ).values_list("ballot_id", "unit_id", "grade"):
        by_ballot[ballot_id][unit_id] = grade
    return Counter(frozenset(cells.items()) for cells in by_ballot.values())


def _assert_one_ballot_each(session, credentials, calls, written):
    """Exactly one ballot per credential, its receipt returned to every call, no lost draft."""
    holders = {credential.pk: credential.holder_unit_id for credential in credentials}
    participants = set(
        Participant.objects.filter(session=session).values_list("unit_id", flat=True)
    )
    ballots = Ballot.objects.filter(session=session)
    assert ballots.count() == len(credentials)
    # Anonymous: no ballot keeps its credential or its holder's unit (docs/anonymity.md).
    assert set(ballots.values_list("credential_id", "holder_unit_id")) == {(None, None)}

    receipts = dict(Credential.objects.filter(session=session).values_list("pk", "receipt"))
    assert len(set(receipts.values())) == len(credentials)
    assert Credential.objects.filter(session=session, submitted_at__isnull=True).count() == 0
    returned: dict[int, list] = defaultdict(list)
    for credential_id, submission in calls:
        returned[credential_id].append((submission.receipt, submission.repeated))
    # Every call for a credential got its one receipt; exactly one of them made the ballot.
    assert {pk: sorted(calls_for) for pk, calls_for in returned.items()} == {
        pk: [(receipts[pk], False)] + [(receipts[pk], True)] * (SUBMITS_PER_CREDENTIAL - 1)
        for pk in holders
    }

    # What each credential drafted, its own unit stored as 弃权 where that unit takes part.
    expected = {
        pk: cells | ({holders[pk]: Grade.ABSTAIN} if holders[pk] in participants else {})
        for pk, cells in written.items()
    }
    assert BallotGrade.objects.filter(ballot__session=session).count() == sum(
        len(cells) for cells in expected.values()
    )
    assert DraftGrade.objects.filter(credential__session=session).count() == 0
    assert _ballot_grades(session) == Counter(
        frozenset(cells.items()) for cells in expected.values()
    )


def test_ballot_submit_concurrently_gives_one_ballot_per_credential_and_loses_no_draft():
    rng = random.Random(20260315)
    session, credentials, written = _rating_session(rng)
    submitting, tapping = credentials[:20], credentials[20:]
    run = Run()

    # Phase 1: 20 credentials submitted three times each, while two threads per other
    # credential keep rewriting its drafts (each thread owns half of the cells).
    jobs = []
    for index in range(max(len(submitting), len(tapping))):
        if index < len(submitting):
            jobs += [(_submit, run, submitting[index].pk)] * SUBMITS_PER_CREDENTIAL
        if index < len(tapping):
            unit_ids = sorted(written[tapping[index].pk])
            jobs += [
                (_hammer, run, tapping[index].pk, unit_ids[half::2], rng.randrange(10**9))
                for half in (0, 1)
            ]
    results = list(zip(jobs, run.all(jobs), strict=True))
    calls = [result for (work, *_args), result in results if work is _submit]
    for (work, *_args), (credential_id, last) in results:
        if work is _hammer:
            written[credential_id].update(last)
    assert Ballot.objects.filter(session=session).count() == len(submitting)
    assert DraftGrade.objects.filter(credential__in=tapping).count() == sum(
        len(written[credential.pk]) for credential in tapping
    )

    # Phase 2: the tapped credentials are submitted, three times each, all at once.
    calls += run.all(
        [(_submit, run, credential.pk) for credential in tapping] * SUBMITS_PER_CREDENTIAL
    )

    _assert_one_ballot_each(session, credentials, calls, written)
    print(f"\nretries on OperationalError: {run.retries}")


def test_ballot_submit_racing_taps_keeps_every_accepted_tap():
    rng = random.Random(20260316)
    session, credentials, written = _rating_session(rng)
    racing = credentials[:12]  # fewer tapping threads than workers, so submissions get a thread
    run = Run()

    # Per credential: one tablet keeps changing one cell while three submissions arrive a
    # moment later. Each tap is either in the ballot or refused as already submitted.
    jobs = []
    for credential in racing:
        unit_id = min(written[credential.pk])
        jobs.append(
            (_tap_until_refused, run, credential.pk, unit_id, written[credential.pk][unit_id])
        )
        jobs += [
            (_submit, run, credential.pk, rng.uniform(0.005, 0.05))
            for _ in range(SUBMITS_PER_CREDENTIAL)
        ]
    results = list(zip(jobs, run.all(jobs), strict=True))
    calls = [result for (work, *_args), result in results if work is _submit]
    taps = [result for (work, *_args), result in results if work is _tap_until_refused]
    for credential_id, unit_id, last, _accepted in taps:
        written[credential_id][unit_id] = last
    # The rest submit without racing taps, so that every credential of the session is used.
    calls += run.all(
        [(_submit, run, credential.pk) for credential in credentials[12:]] * SUBMITS_PER_CREDENTIAL
    )

    accepted = sum(accepted for *_rest, accepted in taps)
    assert accepted > 0  # the taps did race the submissions
    _assert_one_ballot_each(session, credentials, calls, written)
    print(f"\naccepted racing taps: {accepted}, retries on OperationalError: {run.retries}")


def test_no_ballot_is_accepted_after_the_close():
    """Submissions racing the close: each one either commits before the close (and is mixed
    by it) or is refused with no receipt; none lands after it (docs/anonymity.md, "closing")."""
    from sessions import services

    rng = random.Random(20261204)
    session, credentials, _written = _rating_session(rng)
    outcomes = []

    delays = {credential.pk: rng.uniform(0, 0.3) for credential in credentials}

    def submit(credential_id: int) -> None:
        time.sleep(delays[credential_id])
        credential = Credential.objects.get(pk=credential_id)
        try:
            outcomes.append(("receipt", rating.ballot_submit(credential=credential).receipt))
        except rating.RatingClosed:
            outcomes.append(("refused", credential_id))

    def close() -> None:
        time.sleep(0.15)
        services.session_transition(session=session, target=ReviewSession.Status.CLOSED, actor=None)

    run = Run()
    run.all([(close,)] + [(submit, credential.pk) for credential in credentials])

    receipts = {value for kind, value in outcomes if kind == "receipt"}
    refused = {value for kind, value in outcomes if kind == "refused"}
    assert len(receipts) + len(refused) == len(credentials)
    assert receipts and refused  # the close did fall among the submissions
    assert (
        set(
            Credential.objects.filter(session=session, receipt__isnull=False).values_list(
                "receipt", flat=True
            )
        )
        == receipts
    )
    assert Credential.objects.filter(pk__in=refused, submitted_at__isnull=False).count() == 0
    assert Ballot.objects.filter(session=session).count() == len(receipts)
    # Every ballot was rewritten by the close: none was inserted after it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT xmin::text FROM {Ballot._meta.db_table} WHERE session_id = %s",  # noqa: S608
            [session.pk],
        )
        assert len(cursor.fetchall()) <= 1
    print(f"\naccepted before the close: {len(receipts)}, refused after it: {len(refused)}")


def test_a_submission_overtaken_by_the_close_lands_on_the_ended_page(client):
    """The rater's form read the session open, but the close took the session's lock first:
    the submission waits, then answers 303 to the form's page, which says rating has ended
    (not a 422 that the tablet would show as a server error), and nothing is stored."""
    from django.db import transaction

    from tests.factories.raters import holding

    session, credentials, _written = _rating_session(random.Random(20261205))
    card = credentials[0]
    locked, release = threading.Event(), threading.Event()

    def close_slowly() -> None:
        try:
            with transaction.atomic():
                ReviewSession.objects.select_for_update().get(pk=session.pk)
                locked.set()
                release.wait(timeout=5)
                ReviewSession.objects.filter(pk=session.pk).update(
                    status=ReviewSession.Status.CLOSED
                )
        finally:
            connection.close()

    tablet = holding(client, card)
    closer = threading.Thread(target=close_slowly)
    closer.start()
    assert locked.wait(timeout=5)
    threading.Timer(0.5, release.set).start()

    response = tablet.post("/r/submit/")
    closer.join(timeout=10)

    assert (response.status_code, response["Location"]) == (303, "/r/form/")
    ended = client.get("/r/form/").content.decode()
    assert "评议已结束，不再接收评议表。" in ended
    assert Ballot.objects.filter(session=session).count() == 0
    assert Credential.objects.get(pk=card.pk).submitted_at is None
