"""python manage.py verify_result SLUG (scoring/management/commands/verify_result.py): the
published result recomputed from the stored inputs (docs/design.md §4.12)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from scoring import services
from scoring.models import ExternalScore
from sessions.models import BallotGrade
from tests.factories.scoring import scored_session

pytestmark = pytest.mark.django_db

LEADERS = ["GFGAP", "GGFAA", "FGGPA"]
DEPARTMENTS = ["GGFFA", "FGGAP"]


@pytest.fixture
def world():
    return scored_session(leaders=LEADERS, departments=DEPARTMENTS)


def run(slug: str) -> tuple[int, str, str]:
    """(exit status, stdout, error): manage.py exits with CommandError.returncode."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_result", slug, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), str(exc)
    return 0, out.getvalue(), ""


def test_verify_result_confirms_an_unchanged_result(world):
    snapshot = services.result_publish(session=world.session, actor=None)

    code, out, error = run(world.session.slug)

    assert (code, error) == (0, "")
    assert out.splitlines() == [
        "快照 / snapshot: 第 1 版",
        f"存档 SHA-256 / stored:     {snapshot.inputs_hash}",
        f"重算 SHA-256 / recomputed: {snapshot.inputs_hash}",
        "OK",
    ]


def test_verify_result_fails_after_a_ballot_grade_is_altered(world):
    snapshot = services.result_publish(session=world.session, actor=None)
    BallotGrade.objects.filter(
        ballot__group=world.departments_group, unit=world.departments[2], grade="average"
    ).update(grade="good")

    code, out, error = run(world.session.slug)

    recomputed = services.compute(world.session).inputs_hash
    assert (code, error) == (1, "核验未通过 / verification failed")
    assert recomputed != snapshot.inputs_hash
    assert out.splitlines() == [
        "快照 / snapshot: 第 1 版",
        f"存档 SHA-256 / stored:     {snapshot.inputs_hash}",
        f"重算 SHA-256 / recomputed: {recomputed}",
        "输入数据的 SHA-256 不一致 / the inputs have changed",
        "不一致 / differs: 民政局: 评议组票数与得分、综合评议得分、各项得分、总分、排名、“好”票数",
    ]


def test_verify_result_checks_the_latest_correction(world):
    services.result_publish(session=world.session, actor=None)
    ExternalScore.objects.create(
        session=world.session, unit=world.towns[0], bonus=1, bonus_reason="补录加分"
    )
    assert run(world.session.slug)[0] == 1

    services.result_correct(session=world.session, actor=None, reason="补录城关镇加分")
    code, out, _error = run(world.session.slug)

    assert (code, out.splitlines()[0], out.splitlines()[-1]) == (
        0,
        "快照 / snapshot: 第 2 版",
        "OK",
    )


def test_verify_result_of_an_unknown_session(db):
    code, out, error = run("no-such-session")

    assert (code, out) == (1, "")
    assert error == "没有标识为“no-such-session”的评议会。 No session with slug 'no-such-session'."


def test_verify_result_of_a_session_without_a_snapshot(world):
    code, out, error = run(world.session.slug)

    assert (code, out) == (1, "")
    assert error == (
        "这个评议会还没有发布结果，没有可核验的快照。 "
        f"Session {world.session.slug!r} has no published result."
    )
