"""A unit's annual 目标考核 score recomputed from docs/targets.md's rules alone, never through
targets/engine.py or targets/scores.py: the tests compare the product's figures with it."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from targets.models import Report, Target, TargetUnit


def _half_up(value: Fraction) -> Fraction:
    cents = Decimal(value.numerator) / Decimal(value.denominator)
    return Fraction(cents.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def recompute(org_unit, year: int) -> Decimal | None:
    """A unit's annual score on 100 from docs/targets.md alone ("Rules", "The annual score"):
    each target against the year's goal, on its latest accepted value of the year."""
    total, possible, vetoed = Fraction(0), Fraction(0), False
    for line in TargetUnit.objects.filter(org_unit=org_unit, target__year=year).select_related(
        "target"
    ):
        t = line.target
        goal = Fraction(line.goal if line.goal is not None else t.goal)
        points = Fraction(line.points if line.points is not None else t.points)
        possible += points
        latest = (
            Report.objects.filter(target_unit=line, status=Report.Status.ACCEPTED)
            .order_by("-month")
            .first()
        )
        if latest is None:  # rule 5: nothing earned; a veto target vetoes
            vetoed = vetoed or t.veto
            continue
        a = Fraction(latest.value)
        up = t.direction == Target.Direction.AT_LEAST
        base = None if t.baseline is None else Fraction(t.baseline)
        if up:  # rule 1
            ratio = a / goal if base is None else (a - base) / (goal - base)
        elif base is not None:
            ratio = (base - a) / (base - goal)
        else:
            ratio = Fraction(1) if a <= goal else goal / a
        ratio = max(ratio, Fraction(0))
        met = a >= goal if up else a <= goal
        if t.method == Target.Method.PASS_FAIL:  # rule 2
            share = Fraction(1) if met else Fraction(0)
        elif t.method == Target.Method.STEPS:
            reached = [Fraction(s) for th, s in t.steps if ratio >= Fraction(th)]
            share = reached[-1] if reached else Fraction(0)
        else:
            share = Fraction(0) if ratio < Fraction(t.floor) else min(ratio, Fraction(t.cap))
        total += _half_up(points * share)
        if t.stretch is not None and t.bonus:  # rule 3
            stretch = Fraction(t.stretch)
            part = min(max((a - goal) / (stretch - goal), Fraction(0)), Fraction(1))
            total += _half_up(Fraction(t.bonus) * part)
        vetoed = vetoed or (t.veto and not met)  # rule 4
    if possible == 0:
        return None
    on_hundred = Fraction(0) if vetoed else min(Fraction(100), _half_up(total * 100 / possible))
    return Decimal(on_hundred.numerator) / Decimal(on_hundred.denominator)
