"""Benchmark the big screen's polled fragment (docs/design.md §8: live polling < 5 ms server
time, 304 when unchanged).

    .venv/bin/python bench/bench_screen.py [--runs 1000]

Uses ``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/huiji_bench; a sqlite:///
URL works too, for a comparison). Django's test machinery creates a throwaway ``test_<name>``
database, migrates it, fills it with a live mid-year session of 40 participants (agenda
generated, the first speaker running), 4 rater groups with 300 credentials of which 200 were
used, and a question on screen, answered, whose satisfaction vote holds 300 votes; and drops it
at the end.

Then it asks for ``/screen/<token>/state/`` through Django's test client (no login: the token
is the key), which runs the whole middleware stack, the URL resolver and the view, and prints
p50 / p95 / max of the wall time per request (and p50 / p95 of this process's CPU time) for
each mode the screen spends a meeting in: first full answers (200, rendered each time), then
the poll of a screen that already holds this version (If-None-Match, answered 304). The
client's own work is included, so the figures are an upper bound of the server time. Not a
test: numbers depend on the machine (and on what else runs on it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/huiji_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiji_review.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

UNITS = 40
CREDENTIALS_PER_GROUP = 75  # × 4 groups = 300
SUBMITTED = 200
VOTES = 300


def build():
    """The mid-year session, live, a few units into the meeting."""
    from meeting import agenda
    from meeting.models import Question, Satisfaction, SatisfactionVote
    from meeting.stage import stage_touch
    from sessions import credentials, services, unit_services
    from sessions.models import Credential, Participant, ReviewSession

    session = services.session_create(
        kind=ReviewSession.Kind.MIDYEAR, year=2026, title="2026年年中述职讲评会", actor=None
    )
    categories = list(session.categories.all())
    units = [
        unit_services.unit_save(
            session=session,
            actor=None,
            name=f"单位{i:02d}",
            category=categories[i % len(categories)],
            participates=True,
        )
        for i in range(UNITS)
    ]
    for order, participant in enumerate(Participant.objects.filter(session=session), start=1):
        Participant.objects.filter(pk=participant.pk).update(speaking_order=order)
    groups = list(session.rater_groups.all())
    issued = []
    for group in groups:
        issued += credentials.credentials_generate(
            session=session, group=group, actor=None, count=CREDENTIALS_PER_GROUP
        )
    ReviewSession.objects.filter(pk=session.pk).update(status=ReviewSession.Status.LIVE)
    session.refresh_from_db()
    Credential.objects.filter(pk__in=[c.pk for c in issued[:SUBMITTED]]).update(
        submitted_at=timezone.now()
    )

    agenda.agenda_generate(session=session, actor=None, limit_seconds=300)
    agenda.agenda_next(session=session, actor=None)

    question = Question.objects.create(
        session=session,
        unit=units[0],
        asker="人大代表 李某",
        text="老旧小区改造去年就已立项，为什么到现在还没有开工？请说明进展和完工时间。",
        status=Question.Status.ANSWERED,
        vote=Question.Vote.OPEN,
    )
    choices = [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.DISSATISFIED]
    SatisfactionVote.objects.bulk_create(
        SatisfactionVote(question=question, credential=credential, choice=choices[i % 5 % 3])
        for i, credential in enumerate(issued[:VOTES])
    )
    stage = stage_touch(session, question_on_screen=question)
    # A representative (两代表一委员 may ask) who has voted and asked two questions: what each
    # tablet polls every 3 s while the vote is open.
    representative = next(c for c in reversed(issued[:VOTES]) if c.group.can_ask)
    for text in ("背街小巷改造什么时候完工？", "农贸市场摊位费为什么上涨？"):
        Question.objects.create(
            session=session, unit=units[1], credential=representative, text=text, asker="代表"
        )
    return session, stage, representative


def measure(client: Client, url: str, runs: int, **headers) -> dict:
    """Wall time per request (what a poll waits) and this process's CPU time (Python's share,
    without the database's; it stays comparable when other work loads the machine)."""
    for _ in range(20):  # warm-up: templates compiled, connections open, caches filled
        client.get(url, **headers)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        client.get(url, **headers)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    return {
        "walls": walls,
        "cpus": cpus,
        "status": response.status_code,
        "queries": len(queries),
        "bytes": len(response.content),
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))]


def report(label: str, result: dict) -> None:
    walls, cpus = result["walls"], result["cpus"]
    print(
        f"{label:<24} HTTP {result['status']}"
        f"   wall p50 {statistics.median(walls):5.2f} ms  p95 {p95(walls):5.2f} ms"
        f"  max {max(walls):6.2f} ms"
        f"   cpu p50 {statistics.median(cpus):5.2f} ms  p95 {p95(cpus):5.2f} ms"
        f"   {result['queries']} queries, {result['bytes']} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the big screen's polled fragment.")
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()

    # No query logging (DEBUG) and no test-client template instrumentation: a server's setup.
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.urls import reverse

        from meeting import agenda

        session, stage, representative = build()
        url = reverse("screen:state", args=[stage.screen_token])
        client = Client()
        print(
            f"{connection.vendor}; {UNITS} participants, agenda running, "
            f"{4 * CREDENTIALS_PER_GROUP} credentials ({SUBMITTED} used), "
            f"a question on screen with {VOTES} votes; {args.runs} requests each; "
            f"load average {os.getloadavg()[0]:.2f}\n"
        )
        # The floor under the same load: the middleware stack and the client, no database.
        report("/healthz/ (floor)", measure(client, "/healthz/", args.runs))
        for mode in ("question", "speaker", "participation"):
            agenda.screen_mode_set(session=session, actor=None, mode=mode)
            etag = client.get(url)["ETag"]
            report(f"{mode}: full answer", measure(client, url, args.runs))
            report(
                f"{mode}: unchanged",
                measure(client, url, args.runs, HTTP_IF_NONE_MATCH=etag),
            )
        # A representative's tablet: the vote panel and 我的提问, polled every 3 s. The tablet
        # holds the card (entered on /r/, which answers with its cookie); no code in the URL.
        tablet = Client()
        entered = tablet.post(reverse("rate:entry"), {"code": representative.code})
        if entered.status_code != 303:
            raise RuntimeError(f"entering the representative's card answered {entered.status_code}")
        panel = reverse("tablet:vote_panel")
        etag = tablet.get(panel)["ETag"]
        report("tablet vote panel: full answer", measure(tablet, panel, args.runs))
        report(
            "tablet vote panel: unchanged",
            measure(tablet, panel, args.runs, HTTP_IF_NONE_MATCH=etag),
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
