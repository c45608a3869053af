"""问政满意度 as a component of the total (docs/design.md §4.6, 4.11 and 4.12): the votes
cast at the live meeting reach the engine as counts per unit and are scored by the scheme."""

from decimal import Decimal

from meeting.models import Question, SatisfactionVote
from scoring import engine, selectors, services
from scoring.engine import Ballot, Category, ExternalScores, Group, Inputs, Scheme, Unit
from tests.factories import CredentialFactory
from tests.factories.scoring import scored_session

D = Decimal
TOWNS = Category("towns", "镇(街道)")
GROUP = Group("g", "评议组", D("100"), min_sample=1)
HALF_AND_HALF = Scheme(
    excellent_cap_enabled=False, components={"review": D("50"), "satisfaction": D("50")}
)


def _inputs(external, scheme=HALF_AND_HALF):
    units = (Unit("a", "单位a", "towns"), Unit("b", "单位b", "towns"))
    ballots = (Ballot("1", "g", {"a": "good", "b": "good"}),)
    return Inputs(
        scheme=scheme,
        categories=(TOWNS,),
        units=units,
        groups=(GROUP,),
        ballots=ballots,
        external=external,
    )


def test_satisfaction_component_is_scored_from_the_vote_counts():
    # a: 3 满意, 1 基本满意, 1 不满意 -> (300 + 70 + 30) / 5 = 80; total 50% 100 + 50% 80 = 90.
    result = engine.compute(
        _inputs({"a": ExternalScores(satisfaction_votes=(3, 1, 1))}, HALF_AND_HALF)
    )

    row = result.row("a")
    assert row.components == {"review": D("100.00"), "satisfaction": D("80.00")}
    assert row.total == D("90.00")


def test_satisfaction_component_uses_the_schemes_values():
    scheme = Scheme(
        excellent_cap_enabled=False,
        components={"review": D("50"), "satisfaction": D("50")},
        satisfaction_values={
            "satisfied": D("100"),
            "basically_satisfied": D("50"),
            "dissatisfied": D("0"),
        },
    )

    result = engine.compute(_inputs({"a": ExternalScores(satisfaction_votes=(1, 1, 1))}, scheme))

    assert result.row("a").components["satisfaction"] == D("50.00")


def test_unit_without_satisfaction_votes_is_unranked_and_flagged():
    result = engine.compute(_inputs({"a": ExternalScores(satisfaction_votes=(1, 0, 0))}))

    row = result.row("b")
    assert (row.total, row.rank) == (None, None)
    assert row.flags == ("missing_component:satisfaction",)


def test_canonical_inputs_without_satisfaction_keep_their_earlier_form():
    # A scheme that does not weight 问政满意度 writes neither the values nor any counts, so the
    # hash of a result published before the live meeting existed is unchanged.
    scheme = Scheme(excellent_cap_enabled=False)
    data = engine.canonical_inputs(_inputs({"a": ExternalScores(target=D("90"))}, scheme))

    assert b"satisfaction_values" not in data
    assert b"satisfaction_votes" not in data


def test_canonical_inputs_carry_the_votes_and_load_back_to_the_same_rows():
    inputs = _inputs({"a": ExternalScores(satisfaction_votes=(2, 1, 0))})

    data = engine.canonical_inputs(inputs)
    again = engine.load_inputs(data)

    assert engine.canonical_inputs(again) == data
    assert list(engine.compute(again).rows()) == list(engine.compute(inputs).rows())
    other = _inputs({"a": ExternalScores(satisfaction_votes=(1, 2, 0))})
    assert engine.inputs_hash(other) != engine.inputs_hash(inputs)


def _answered(world, unit, votes: str, *, voters):
    """A question answered by ``unit`` with one vote per letter: S 满意, B 基本满意, D 不满意."""
    question = Question.objects.create(
        session=world.session,
        unit=unit,
        text="问题",
        status=Question.Status.ANSWERED,
        vote=Question.Vote.CLOSED,
    )
    choices = {"S": "satisfied", "B": "basically_satisfied", "D": "dissatisfied"}
    SatisfactionVote.objects.bulk_create(
        SatisfactionVote(question=question, credential=credential, choice=choices[letter])
        for letter, credential in zip(votes, voters, strict=False)
    )
    return question


def test_load_inputs_counts_the_votes_on_every_answer_of_a_unit(db):
    world = scored_session(
        leaders=["GGGGG", "GGGGG"],
        weight_review=D("80"),
        weight_satisfaction=D("20"),
        excellent_cap_enabled=False,
    )
    voters = [CredentialFactory(session=world.session, group=world.leaders) for _ in range(4)]
    town = world.towns[0]
    _answered(world, town, "SSB", voters=voters)
    _answered(world, town, "D", voters=voters)
    # A question not (or no longer) answered carries no counted votes.
    Question.objects.create(session=world.session, unit=town, text="待审核", status="submitted")

    inputs = selectors.load_inputs(world.session)

    assert inputs.external[str(town.pk)].satisfaction_votes == (2, 1, 1)
    computed = services.compute(world.session, inputs)
    row = computed.result.row(str(town.pk))
    # (2×100 + 70 + 30) / 4 = 75; total 80% × 100 + 20% × 75 = 95.
    assert row.components == {"review": D("100.00"), "satisfaction": D("75.00")}
    assert row.total == D("95.00")
    # The other towns were not questioned: no 问政满意度, so no total (4.6 is not renormalised).
    assert computed.result.row(str(world.towns[1].pk)).total is None


def test_load_inputs_ignores_votes_when_the_scheme_does_not_weight_them(db):
    world = scored_session(leaders=["GGGGG", "GGGGG"])
    voters = [CredentialFactory(session=world.session, group=world.leaders)]
    _answered(world, world.towns[0], "S", voters=voters)

    inputs = selectors.load_inputs(world.session)

    assert inputs.external == {}
