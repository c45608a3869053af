"""The acceptance check of the scoring rules: a session built the way a district builds one, with commands
only — ``import_session``, ``set_status``, ``import_ballots`` (paper ballots) — exported with
``export_results``, and the exported xlsx compared with an independent recomputation of docs/design.md §4 written here from
the text alone (plain loops and ``Fraction``; nothing from scoring/), for every unit's group
scores, 综合评议得分, 总分, 排名 and 等次.

The ballots are random but seeded, with blanks, 弃权 and ratings of the rater's own unit, so the
minimum sample, renormalisation, the own-unit rule, ties and the 优秀 cap all come into play.
"""

import io
import random
from decimal import Decimal
from fractions import Fraction
from math import floor

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tests.factories.workbooks import workbook_bytes

pytestmark = pytest.mark.django_db

VALUES = {"好": 100, "较好": 80, "一般": 60, "差": 40}
TOWNS = ["城关镇", "滨河街道", "东风街道", "新华街道", "白沙镇"]
DEPARTMENTS = ["区财政局", "区教育局", "区民政局", "区住建局", "区交通局", "区农委", "区商务局"]
GROUPS = [("县级领导", 40, 3), ("区直部门", 20, 3), ("镇(街道)", 20, 3), ("两代表一委员", 20, 4)]


def q2(value: Fraction) -> Decimal:
    """四舍五入 to 2 decimals, exactly (every value here is positive)."""
    return Decimal(floor(Fraction(value) * 100 + Fraction(1, 2))) / 100


def build_session(tmp_path) -> tuple[str, list[list]]:
    units = (
        [["名称", "类别"]]
        + [[n, "镇(街道)"] for n in TOWNS]
        + [[n, "政府部门"] for n in DEPARTMENTS]
    )
    groups = [["名称", "权重", "最少有效票数"]] + [list(g) for g in GROUPS]
    path = tmp_path / "session.xlsx"
    path.write_bytes(
        workbook_bytes(
            meta=[["名称", "2026年度综合考核述职评议"], ["年度", 2026], ["类型", "年度"]],
            units=units,
            groups=groups,
            raters=None,
        )
    )
    out = io.StringIO()
    call_command("import_session", str(path), stdout=out)
    slug = out.getvalue().strip().splitlines()[-1]
    # Rated on paper without a live meeting: no speaking order is needed (section 5's chain).
    for status in ("ready", "rating"):
        call_command("set_status", slug, status, stdout=io.StringIO(), stderr=io.StringIO())

    rng = random.Random(20260122)
    names = TOWNS + DEPARTMENTS
    # Each unit leans a little one way; 区农委 is graded only by a few (minimum sample).
    lean = {name: rng.random() for name in names}
    # Clear favourites, 90 and up: one town, and three departments for two places of 优秀.
    lean.update({"城关镇": 3.0, "区财政局": 3.0, "区教育局": 3.0, "区民政局": 4.0})
    rows = [["票号", "评议组", "所在单位", *names]]
    number = 0
    for group, _weight, _m in GROUPS:
        for _ in range({"县级领导": 9, "区直部门": 14, "镇(街道)": 5, "两代表一委员": 12}[group]):
            number += 1
            holder = None
            if group == "区直部门":
                holder = rng.choice(DEPARTMENTS)
            elif group == "镇(街道)":
                holder = rng.choice(TOWNS)
            marks = []
            for name in names:
                if name == "区农委" and group != "县级领导":
                    marks.append(None)  # blank
                    continue
                weights = [20 + 60 * lean[name], 40, max(25 - 15 * lean[name], 2), 6, 4]
                marks.append(rng.choices(["好", "较好", "一般", "差", "弃权"], weights)[0])
            rows.append([f"P{number:03d}", group, holder, *marks])
    ballots = tmp_path / "ballots.xlsx"
    ballots.write_bytes(
        workbook_bytes(meta=None, units=None, groups=None, raters=None, extra={"评议票": rows})
    )
    call_command("import_ballots", slug, str(ballots), stdout=io.StringIO())
    call_command("set_status", slug, "closed", stdout=io.StringIO())
    return slug, rows


def recompute(rows: list[list]) -> dict[str, dict]:
    """Section 4 from the text: per unit, group scores, 综合评议, rank and band per category."""
    header, ballots = rows[0], rows[1:]
    names = header[3:]
    result = {}
    for name in names:
        column = header.index(name)
        scores = {}
        for group, _weight, minimum in GROUPS:
            votes = [
                VALUES[b[column]]
                for b in ballots
                if b[1] == group and b[2] != name and b[column] in VALUES  # 4.1, 4.2
            ]
            if len(votes) >= minimum:  # 4.4
                scores[group] = q2(Fraction(sum(votes), len(votes)))  # 4.3, rounded (4.7)
        with_data = [(w, scores[g]) for g, w, _m in GROUPS if g in scores]
        review = (
            q2(sum(Fraction(w) * Fraction(s) for w, s in with_data) / sum(w for w, _s in with_data))
            if with_data
            else None
        )  # 4.5
        result[name] = {"groups": scores, "review": review, "total": review}  # 4.6
    for category in (TOWNS, DEPARTMENTS):
        totals = sorted(
            (result[n]["total"] for n in category if result[n]["total"] is not None), reverse=True
        )
        allowed = floor(Fraction(30, 100) * len(category))  # 4.8 cap
        for name in category:
            total = result[name]["total"]
            rank = 1 + sum(1 for t in totals if t > total) if total is not None else None  # 4.7
            if total is None:
                band = None
            elif total >= 90:
                band = "优秀" if rank <= allowed else "良好"
            elif total >= 80:
                band = "良好"
            elif total >= 70:
                band = "一般"
            else:
                band = "较差"
            result[name].update(rank=rank, band=band)
    return result


def sheet_rows(sheet) -> list[dict]:
    """The table under the header row that starts with 排名, as dicts by header."""
    values = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(values) if row and "排名" in row)
    header = [str(h) if h is not None else "" for h in values[start]]
    table = []
    for row in values[start + 1 :]:
        if not row or row[header.index("单位")] in (None, ""):
            break
        table.append(dict(zip(header, row, strict=False)))
    return table


def as_decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_exported_xlsx_agrees_with_an_independent_recomputation(tmp_path):
    slug, rows = build_session(tmp_path)
    xlsx = tmp_path / "result.xlsx"
    call_command("export_results", slug, "--xlsx", str(xlsx), stdout=io.StringIO())

    expected = recompute(rows)
    book = load_workbook(xlsx)
    exported = {}
    for category in ("镇(街道)", "政府部门"):
        for row in sheet_rows(book[category]):
            exported[row["单位"]] = row

    assert sorted(exported) == sorted(expected)
    for name, want in expected.items():
        got = exported[name]
        assert as_decimal(got["综合评议得分"]) == want["review"], name
        assert as_decimal(got["总分"]) == want["total"], name
        assert (got["排名"] or None) == want["rank"], name
        assert (got["等次"] or None) == want["band"], name
        for group, _w, _m in GROUPS:
            assert as_decimal(got[group]) == want["groups"].get(group), (name, group)
    # The data exercise the rules it is meant to: a group short of votes (and so renormalised
    # weights), the own-unit rule, and both sides of the 优秀 cap (⌊30 % × 7⌋ = 2 departments).
    assert expected["区农委"]["groups"].keys() == {"县级领导"}
    bands = {name: (v["total"] >= 90, v["band"]) for name, v in expected.items()}
    assert bands["城关镇"] == (True, "优秀")
    assert sorted(bands[n] for n in ("区财政局", "区教育局", "区民政局")) == [
        (True, "优秀"),
        (True, "优秀"),
        (True, "良好"),
    ]
