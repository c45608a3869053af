"""scoring/audit_pack.py: the audit pack of a published result (docs/results.md, "审计包 (audit
pack)"). Its verify.py runs in isolated mode (``python -I``) in a folder holding nothing but the
unzipped pack; its ranking.xlsx is recalculated by LibreOffice and must give the published
totals, ranks and bands.

The session (tests/factories/scoring.py's, with a sixth unit nobody grades) is set up so that
every rule the workbook's formulas implement comes into play: the trimmed mean (more than 3
votes), a tie broken by the leaders' group, a tie at the boundary of the 优秀 cap, a unit held
to 良好 by the cap, a group below its minimum sample, a unit without any valid vote and a unit
with 加减分.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from scoring import audit_pack, engine, selectors, services
from scoring.models import ExternalScore
from sessions.models import Ballot, BallotGrade, Credential
from tests.factories import CredentialFactory, CriterionFactory, ParticipantFactory
from tests.factories.scoring import LETTERS, add_ballot, scored_session

pytestmark = pytest.mark.django_db

D = Decimal
SOFFICE = shutil.which("soffice")
needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed (Debian package libreoffice-calc-nogui)",
)
PACK_FILES = [
    "README.txt",
    "inputs.json",
    "result.json",
    "scheme.json",
    "snapshot.json",
    "verify.py",
    "ranking.xlsx",
]

# Units in order: 城关镇, 东风街道 (towns); 财政局, 教育局, 民政局, 审计局 (departments).
# 城关镇 and 东风街道 are equal in everything: both rank 1 of 2, and both are 优秀 although
# the cap (50 %) allows one. 财政局 and 教育局 total 96.67 each (教育局 with 1.12 of 加减分);
# the leaders' group (100 against 93.33, trimmed) puts 财政局 first. 民政局 has one valid vote
# from 区直部门 (minimum 2), so its score is the leaders' alone: 100, first. 教育局 is third of
# four, beyond the cap of 2: 良好. Nobody grades 审计局: no total, no rank, no band.
LEADERS = ["GGGGG.", "GGGGGX", "GGGGG.", "GGGFG.", "GGFFF."]
DEPARTMENTS = ["GGGGG.", "GGGGX.", "GGFG..", "GGFG.."]


def make_world(**scheme):
    world = scored_session(
        trimmed_mean=True,
        trim_above=3,
        tie_break_leaders=True,
        tie_break_good_share=True,
        excellent_cap_percent=D("50"),
        **scheme,
    )
    world.departments.append(
        ParticipantFactory(
            session=world.session,
            unit__category=world.department_category,
            unit__name="审计局",
            speaking_order=6,
        ).unit
    )
    for marks in LEADERS:
        add_ballot(world, world.leaders, marks)
    for marks in DEPARTMENTS:
        add_ballot(world, world.departments_group, marks)
    ExternalScore.objects.create(
        session=world.session, unit=world.departments[1], bonus=D("1.12"), bonus_reason="专项加分"
    )
    return world


@pytest.fixture
def world():
    return make_world()


def publish(world):
    return services.result_publish(session=world.session, actor=None)


def unzip(content: bytes, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(folder)
    return folder


def run_verify(folder: Path) -> subprocess.CompletedProcess:
    # -I: isolated mode, no PYTHONPATH, no user site, not even the script's folder's
    # neighbours beyond the pack: nothing of the project can be imported.
    return subprocess.run(
        [sys.executable, "-I", "verify.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def canonical(data) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def published_rows(result: dict) -> dict:
    return {row["unit"]: row for category in result["categories"] for row in category["rows"]}


# ---------------------------------------------------------------- the files


def test_audit_pack_holds_the_canonical_inputs_and_the_snapshot(world):
    snapshot = publish(world)

    pack = audit_pack.build(world.session)

    archive = zipfile.ZipFile(io.BytesIO(pack.content))
    assert archive.namelist() == PACK_FILES
    inputs_bytes = archive.read("inputs.json")
    assert inputs_bytes == engine.canonical_inputs(selectors.load_inputs(world.session))
    assert hashlib.sha256(inputs_bytes).hexdigest() == snapshot.inputs_hash
    assert archive.read("result.json") == canonical(snapshot.result)
    assert json.loads(archive.read("scheme.json")) == snapshot.scheme
    meta = json.loads(archive.read("snapshot.json"))
    assert {k: meta[k] for k in ("number", "inputs_hash", "engine_version", "anonymous")} == {
        "number": 1,
        "inputs_hash": snapshot.inputs_hash,
        "engine_version": engine.ENGINE_VERSION,
        "anonymous": True,
    }
    engine_source = Path(engine.__file__).read_text(encoding="utf-8")
    assert meta["engine_source_sha256"] == hashlib.sha256(engine_source.encode()).hexdigest()
    assert pack.filename == f"审计包-{world.session.slug}-第1版.zip"


def test_audit_pack_readme_names_the_snapshot_and_how_to_verify(world):
    snapshot = publish(world)

    archive = zipfile.ZipFile(io.BytesIO(audit_pack.build(world.session).content))

    text = archive.read("README.txt").decode()
    published = timezone.localtime(snapshot.created_at).isoformat(timespec="seconds")
    assert json.loads(archive.read("snapshot.json"))["published_at"] == published
    assert text.splitlines()[3:6] == [
        f"{world.session.title}（{world.session.slug}）评议结果 第 1 版 / result no. 1",
        f"发布时间 / published:         {published}",
        f"输入数据 SHA-256 / inputs:    {snapshot.inputs_hash}",
    ]
    assert "python3 verify.py" in text
    assert "verify.py carries the same scoring engine the server ran" in text
    assert "verify.py 包含服务器计算结果时所用的同一计分引擎" in text


def test_audit_pack_verify_py_is_the_engine_followed_by_a_main(world):
    publish(world)

    verify = (
        zipfile.ZipFile(io.BytesIO(audit_pack.build(world.session).content))
        .read("verify.py")
        .decode()
    )

    engine_source = Path(engine.__file__).read_text(encoding="utf-8")
    assert engine_source.rstrip() in verify
    assert verify.index(engine_source.rstrip()) < verify.index("def main(argv):")


def test_audit_pack_verify_source_refuses_an_engine_importing_the_project():
    with pytest.raises(RuntimeError, match="imports django"):
        audit_pack.verify_source("import json\nfrom django.conf import settings\n")
    with pytest.raises(RuntimeError, match="relatively"):
        audit_pack.verify_source("from . import selectors\n")


# ---------------------------------------------------------------- verify.py


def test_audit_pack_verify_prints_ok_in_isolated_mode(world, tmp_path):
    snapshot = publish(world)
    folder = unzip(audit_pack.build(world.session).content, tmp_path / "pack")

    completed = run_verify(folder)

    assert sorted(p.name for p in folder.iterdir()) == sorted(PACK_FILES)
    assert (completed.returncode, completed.stderr) == (0, "")
    lines = completed.stdout.splitlines()
    assert lines[1:] == [
        f"记录的 SHA-256 / recorded:   {snapshot.inputs_hash}",
        f"重算的 SHA-256 / recomputed: {snapshot.inputs_hash}",
        "复算 6 个单位，与 result.json 逐项一致 / 6 rows recomputed, all equal",
        "OK",
    ]


def change_one_grade(folder: Path) -> bytes:
    """财政局's first 好 from the leaders becomes 差 in inputs.json, written canonically."""
    data = json.loads((folder / "inputs.json").read_bytes())
    units = [unit["name"] for unit in data["units"]]
    leaders = next(g["key"] for g in data["groups"] if g["name"] == "县级领导")
    column = units.index("财政局")
    ballot = next(
        b for b in data["ballots"] if b["group"] == leaders and b["grades"][column] == "good"
    )
    ballot["grades"][column] = "poor"
    changed = canonical(data)
    (folder / "inputs.json").write_bytes(changed)
    return changed


def test_audit_pack_verify_fails_when_a_grade_is_changed(world, tmp_path):
    snapshot = publish(world)
    folder = unzip(audit_pack.build(world.session).content, tmp_path / "pack")
    changed = change_one_grade(folder)

    completed = run_verify(folder)

    lines = completed.stdout.splitlines()
    assert completed.returncode == 1
    assert lines[1:5] == [
        f"记录的 SHA-256 / recorded:   {snapshot.inputs_hash}",
        f"重算的 SHA-256 / recomputed: {hashlib.sha256(changed).hexdigest()}",
        "FAIL",
        "inputs.json 的 SHA-256 与记录不符 / inputs.json does not hash to the recorded SHA-256",
    ]


def test_audit_pack_verify_fails_when_a_grade_is_changed_and_the_hash_recomputed(world, tmp_path):
    publish(world)
    folder = unzip(audit_pack.build(world.session).content, tmp_path / "pack")
    changed = change_one_grade(folder)
    meta = json.loads((folder / "snapshot.json").read_bytes())
    meta["inputs_hash"] = hashlib.sha256(changed).hexdigest()
    (folder / "snapshot.json").write_text(json.dumps(meta), encoding="utf-8")

    completed = run_verify(folder)

    lines = completed.stdout.splitlines()
    finance = world.departments[0].pk
    assert completed.returncode == 1
    assert lines[3:6] == [
        "FAIL",
        "复算结果与 result.json 不一致 / the recomputed rows differ:",
        f"  财政局 [{finance}].groups[0].good: result.json 4 != recomputed 3",
    ]
    assert f"  财政局 [{finance}].groups[0].score: result.json '100.00' != recomputed '93.33'" in (
        lines
    )


def test_audit_pack_refuses_inputs_changed_since_publication(world):
    publish(world)
    BallotGrade.objects.filter(
        ballot__group=world.leaders, unit=world.departments[2], grade="fairly_good"
    ).update(grade="poor")

    with pytest.raises(ValidationError) as refused:
        audit_pack.build(world.session)

    assert refused.value.messages == [
        "第 1 版发布之后，评议票、其他考核得分或计分办法有了改动：现存数据的 SHA-256 与该版记录的"
        "不一致，不能生成可复算的审计包。如改动是有意的，请先“更正结果”发布新的版本；否则请点"
        "“核验”查看哪些单位不一致。"
    ]
    # A correction publishes the inputs as they are, and its pack verifies again.
    snapshot = services.result_correct(session=world.session, actor=None, reason="更正一张票的录入")
    meta = zipfile.ZipFile(io.BytesIO(audit_pack.build(world.session).content)).read(
        "snapshot.json"
    )
    assert json.loads(meta)["number"] == snapshot.number == 2


def test_audit_pack_refuses_an_unpublished_session(world):
    with pytest.raises(ValidationError) as refused:
        audit_pack.build(world.session)

    assert refused.value.messages == ["评议结果尚未发布：发布之后才能下载审计包。"]


def test_audit_pack_names_no_card_and_keeps_the_ballots_in_key_order(world):
    # Cards of both groups, used: neither their codes nor their receipts may reach the pack.
    cards = [
        CredentialFactory(session=world.session, group=group, receipt=f"R{n:07d}")
        for n, group in enumerate([world.leaders, world.departments_group] * 3)
    ]
    publish(world)

    content = audit_pack.build(world.session).content

    texts = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name.endswith(".xlsx"):
                with zipfile.ZipFile(io.BytesIO(data)) as book:
                    texts += [book.read(part).decode() for part in book.namelist()]
            else:
                texts.append(data.decode())
        workbook = load_workbook(io.BytesIO(archive.read("ranking.xlsx")))
    every = "\n".join(texts)
    assert [c for c in cards if c.code in every or c.receipt in every] == []
    keys = [row[0].value for row in workbook["投票"].iter_rows(min_row=4)]
    expected = sorted(ballot.pk.hex for ballot in Ballot.objects.filter(session=world.session))
    assert keys == expected
    assert {row[3].value for row in workbook["投票"].iter_rows(min_row=4)} == {None}
    assert Credential.objects.filter(session=world.session).count() == 6


# ---------------------------------------------------------------- ranking.xlsx


def recalculated(xlsx: bytes, folder: Path):
    """``xlsx`` opened and saved again by LibreOffice, which computes every formula, read back
    with the values it computed. A profile of its own per call: parallel test workers would
    otherwise share (and lock) one."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "ranking.xlsx"
    source.write_bytes(xlsx)
    out = folder / "out"
    completed = subprocess.run(  # noqa: S603 - LibreOffice, our own temporary paths
        [
            SOFFICE,
            f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}",
            "--headless",
            "--calc",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert (out / "ranking.xlsx").exists(), completed.stdout + completed.stderr
    return load_workbook(out / "ranking.xlsx", data_only=True)


def sheet_rows(workbook, inputs: engine.Inputs) -> dict:
    """排名 by unit key: group scores, 综合评议, total, rank, band and its rule, as the result
    writes them (scores as 2-decimal strings, None for a blank)."""
    sheet = workbook["排名"]
    header = [cell.value for cell in sheet[3]]
    column = {name: index for index, name in enumerate(header)}
    rows = {}
    for cells in sheet.iter_rows(min_row=4, values_only=True):
        rows[cells[column["单位键（inputs.json）"]]] = {
            "groups": [score(cells[column[f"{group.name} 得分"]]) for group in inputs.groups],
            "votes": [cells[column[f"{group.name} 有效票"]] for group in inputs.groups],
            "review": score(cells[column["综合评议"]]),
            "total": score(cells[column["总分"]]),
            "rank": blank(cells[column["排名"]]),
            "band": blank(cells[column["等次"]]),
            "band_rule": blank(cells[column["等次依据"]]),
        }
    return rows


def blank(value):
    return None if value in (None, "") else value


def score(value) -> str | None:
    value = blank(value)
    return None if value is None else str(Decimal(str(value)).quantize(Decimal("0.01")))


def expected_rows(result: dict) -> dict:
    return {
        key: {
            "groups": [group["score"] for group in row["groups"]],
            "votes": [group["votes"] for group in row["groups"]],
            "review": row["review"],
            "total": row["total"],
            "rank": row["rank"],
            "band": engine.BAND_LABELS.get(row["band"]),
            "band_rule": engine.BAND_RULE_LABELS.get(row["band_rule"]),
        }
        for key, row in published_rows(result).items()
    }


@needs_libreoffice
def test_audit_pack_ranking_recalculated_by_libreoffice_gives_the_published_rows(world, tmp_path):
    snapshot = publish(world)
    rows = published_rows(snapshot.result)
    names = {key: row["unit_name"] for key, row in rows.items()}
    # The session has what the formulas must get right (see the module's docstring).
    assert {
        names[k]: (r["total"], r["rank"], r["band"], r["band_rule"]) for k, r in rows.items()
    } == {
        "城关镇": ("100.00", 1, "excellent", "cap_tie"),
        "东风街道": ("100.00", 1, "excellent", "cap_tie"),
        "民政局": ("100.00", 1, "excellent", "threshold"),
        "财政局": ("96.67", 2, "excellent", "threshold"),
        "教育局": ("96.67", 3, "good", "cap"),
        "审计局": (None, None, None, None),
    }
    by_name = {names[k]: r for k, r in rows.items()}
    assert "tie_broken" in by_name["财政局"]["flags"]
    assert by_name["教育局"]["bonus"] == "1.12"
    assert by_name["财政局"]["groups"][0]["trimmed"] is True
    assert f"group_without_data:{world.departments_group.pk}" in by_name["民政局"]["flags"]
    assert "no_valid_votes" in by_name["审计局"]["flags"]
    content = audit_pack.build(world.session).content
    xlsx = zipfile.ZipFile(io.BytesIO(content)).read("ranking.xlsx")
    inputs = selectors.load_inputs(world.session)

    workbook = recalculated(xlsx, tmp_path / "lo")

    assert sheet_rows(workbook, inputs) == expected_rows(snapshot.result)


def engine_inputs(
    *,
    ballots: int,
    units: int = 6,
    groups=(("县级领导", "40", 3, True), ("区直部门", "20", 3, False), ("群众", "20", 3, False)),
    seed: int = 1,
    scheme: engine.Scheme | None = None,
    external=None,
    blank_share: float = 0.1,
) -> engine.Inputs:
    """Seeded random inputs for the engine alone: two categories, grades leaning per unit."""
    rng = random.Random(seed)
    categories = [engine.Category("t", "镇(街道)", 1), engine.Category("d", "部门", 2)]
    unit_list = [
        engine.Unit(f"u{i}", f"单位{i:02d}", "t" if i % 3 == 0 else "d") for i in range(units)
    ]
    group_list = [
        engine.Group(f"g{i}", name, D(weight), min_sample=m, is_leaders=leaders)
        for i, (name, weight, m, leaders) in enumerate(groups)
    ]
    lean = {unit.key: rng.random() for unit in unit_list}
    found = []
    for n in range(ballots):
        group = group_list[n % len(group_list)]
        grades = {}
        for unit in unit_list:
            draw = rng.random()
            if draw < blank_share / 2:
                continue  # blank
            if draw < blank_share:
                grades[unit.key] = engine.ABSTAIN
                continue
            mood = lean[unit.key] + rng.gauss(0, 0.3)
            index = 0 if mood > 0.7 else 1 if mood > 0.4 else 2 if mood > 0.1 else 3
            grades[unit.key] = engine.VOTING_GRADES[index]
        holder = rng.choice(unit_list).key if group.key == "g1" else None
        found.append(engine.Ballot(f"{rng.getrandbits(64):016x}", group.key, grades, holder))
    if found:
        found[0] = engine.Ballot(found[0].key, found[0].group, found[0].grades, void=True)
    return engine.Inputs(
        scheme=scheme
        or engine.Scheme(trimmed_mean=True, tie_break_leaders=True, tie_break_good_share=True),
        categories=categories,
        units=unit_list,
        groups=group_list,
        ballots=found,
        external=external or {},
    )


def with_components() -> engine.Inputs:
    """目标考核, 日常考核, 问政满意度 (votes for some units, a score for others) and 书面点评;
    one unit lacks its 日常考核 (no total), 加减分 applied, the cap off."""
    scheme = engine.Scheme(
        components={
            "review": D("55"),
            "target": D("15"),
            "daily": D("10"),
            "satisfaction": D("12.5"),
            "leader_comment": D("7.5"),
        },
        tie_break_good_share=True,
        excellent_cap_enabled=False,
        band_excellent=D("85.5"),
        band_good=D("75"),
        band_average=D("65.25"),
        satisfaction_values={
            "satisfied": D("100"),
            "basically_satisfied": D("66.5"),
            "dissatisfied": D("33"),
        },
    )
    external = {}
    for i in range(9):
        external[f"u{i}"] = engine.ExternalScores(
            target=D(f"{80 + i}.{i}5"),
            daily=None if i == 4 else D("91.5") - i,
            satisfaction=D("77.77") if i % 2 else None,
            satisfaction_votes=None if i % 2 else (7 + i, 3, i),
            leader_comment=D("88.25"),
            bonus=D("-0.75") if i == 2 else D("1.5") if i == 5 else D("0"),
            bonus_reasons=("理由",) if i in (2, 5) else (),
        )
    return engine_inputs(ballots=60, units=9, seed=7, scheme=scheme, external=external)


def half_hundredths() -> engine.Inputs:
    """One group's 800 votes on a unit average exactly 80.025 (799 较好 and one 好): the .xx5
    that a floating-point ROUND(x, 2) can get wrong; the engine rounds it up to 80.03."""
    units = [engine.Unit("a", "甲", "c"), engine.Unit("b", "乙", "c")]
    ballots = [
        engine.Ballot(
            f"{n:04d}",
            "g",
            {"a": engine.GOOD if n == 0 else engine.FAIRLY_GOOD, "b": engine.GOOD},
        )
        for n in range(800)
    ]
    return engine.Inputs(
        scheme=engine.Scheme(),
        categories=[engine.Category("c", "类别", 1)],
        units=units,
        groups=[engine.Group("g", "群众", D("100"))],
        ballots=ballots,
    )


def boundaries() -> engine.Inputs:
    """Each rule at its edge (trim above 4 votes, minimum sample 3, both tie-breaks, a cap of
    one): A and B tie on the total and the leaders' score and part on the share of 好; A's 4
    public votes are not trimmed, C's 5 are; D's leaders are one vote short of data."""
    g, f, p = engine.GOOD, engine.FAIRLY_GOOD, engine.POOR
    leaders = [
        {"A": g, "B": g, "C": g, "D": g, "E": f},
        {"A": g, "B": g, "C": g, "D": g, "E": f},
        {"A": g, "B": g, "C": g, "E": f},
    ]
    public = [
        {"A": g, "B": f, "C": g, "D": g, "E": f},
        {"A": g, "B": f, "C": g, "D": g, "E": f},
        {"A": f, "B": f, "C": g, "D": g},
        {"A": p, "B": f, "C": g},
        {"C": p},
    ]
    ballots = [engine.Ballot(f"L{n}", "L", grades) for n, grades in enumerate(leaders)]
    ballots += [engine.Ballot(f"P{n}", "P", grades) for n, grades in enumerate(public)]
    return engine.Inputs(
        scheme=engine.Scheme(
            trimmed_mean=True, trim_above=4, tie_break_leaders=True, tie_break_good_share=True
        ),
        categories=[engine.Category("c", "类别", 1)],
        units=[engine.Unit(key, key, "c") for key in "ABCDEF"],
        groups=[
            engine.Group("L", "县级领导", D("50"), is_leaders=True),
            engine.Group("P", "群众", D("50")),
        ],
        ballots=ballots,
    )


def test_boundaries_case_is_what_it_says():
    result = engine.compute(boundaries())

    rows = {row.unit: row for row in result.rows()}
    assert {k: (r.total, r.rank, r.band, r.band_rule) for k, r in rows.items()} == {
        "C": (D("100.00"), 1, "excellent", "threshold"),
        "D": (D("100.00"), 2, "good", "cap"),
        "A": (D("90.00"), 3, "good", "cap"),
        "B": (D("90.00"), 4, "good", "cap"),
        "E": (D("80.00"), 5, "good", "threshold"),
        "F": (None, None, None, None),
    }
    assert [(g.votes, g.trimmed) for g in rows["A"].groups] == [(3, False), (4, False)]
    assert [(g.votes, g.trimmed) for g in rows["C"].groups] == [(3, False), (5, True)]
    assert [g.has_data for g in rows["D"].groups] == [False, True]


def formula_looking_names() -> engine.Inputs:
    """Names a spreadsheet would run as formulas (= + - @): text in every sheet, compared as
    text by the formulas (pretix's rule, core.spreadsheet.put)."""
    return engine.Inputs(
        scheme=engine.Scheme(),
        categories=[engine.Category("c", "+类别", 1)],
        units=[engine.Unit("a", "=SUM(A1)", "c"), engine.Unit("b", "-乙", "c")],
        groups=[engine.Group("g", "@组", D("100"), min_sample=1)],
        ballots=[
            engine.Ballot("k1", "g", {"a": engine.GOOD, "b": engine.POOR}, holder_unit="b"),
            engine.Ballot("k2", "g", {"a": engine.AVERAGE, "b": engine.GOOD}, holder_unit="a"),
            engine.Ballot("k3", "g", {"a": engine.FAIRLY_GOOD, "b": engine.GOOD}),
        ],
    )


@needs_libreoffice
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(lambda: engine_inputs(ballots=90, units=12, seed=3), id="random-trimmed"),
        pytest.param(
            lambda: engine_inputs(
                ballots=400,
                units=40,
                seed=5,
                groups=(
                    ("县级领导", "40", 3, True),
                    ("区直部门", "20", 3, False),
                    ("镇(街道)", "20", 3, False),
                    ("两代表一委员", "20", 3, False),
                ),
            ),
            id="random-40-units",
        ),
        pytest.param(
            lambda: engine_inputs(
                ballots=12,
                units=10,
                seed=11,
                blank_share=0.5,
                scheme=engine.Scheme(
                    trimmed_mean=False,
                    tie_break_leaders=True,
                    excellent_cap_percent=D("33.3"),
                    apply_bonus=False,
                ),
                external={"u1": engine.ExternalScores(bonus=D("2.5"), bonus_reasons=("不计",))},
            ),
            id="sparse-min-sample-bonus-not-applied",
        ),
        pytest.param(with_components, id="components"),
        pytest.param(half_hundredths, id="half-hundredth"),
        pytest.param(boundaries, id="boundaries"),
        pytest.param(formula_looking_names, id="formula-looking-names"),
    ],
)
def test_ranking_workbook_recalculated_by_libreoffice_gives_the_engines_rows(case, tmp_path):
    inputs = case()
    result = engine.compute(inputs).to_dict()
    xlsx = audit_pack.ranking_workbook(inputs, result, title="测试")

    workbook = recalculated(xlsx, tmp_path / "lo")

    assert sheet_rows(workbook, inputs) == expected_rows(result)


def test_ranking_workbook_half_hundredth_case_is_what_it_says():
    result = engine.compute(half_hundredths())

    assert result.row("a").groups[0].score == D("80.03")


# ---------------------------------------------------------------- per-criterion grading


def test_audit_pack_per_criterion_writes_values_and_verifies(tmp_path):
    world = scored_session()
    criteria = [
        CriterionFactory(session=world.session, name="工作实绩", weight=D("60")),
        CriterionFactory(session=world.session, name="工作作风", weight=D("40")),
    ]
    for group, rows in (
        (world.leaders, ["GGFAP", "GFGAA", "FGGPA"]),
        (world.departments_group, ["GGFFA", "FGGAP"]),
    ):
        for marks in rows:
            ballot = Ballot.objects.create(session=world.session, group=group)
            BallotGrade.objects.bulk_create(
                BallotGrade(ballot=ballot, unit=unit, criterion=criterion, grade=LETTERS[mark])
                for unit, mark in zip(world.units, marks, strict=True)
                for criterion in criteria
            )
    snapshot = publish(world)
    folder = unzip(audit_pack.build(world.session).content, tmp_path / "pack")

    completed = run_verify(folder)
    workbook = load_workbook(folder / "ranking.xlsx")

    assert (completed.returncode, completed.stdout.splitlines()[-1]) == (0, "OK")
    inputs = selectors.load_inputs(world.session)
    assert sheet_rows(workbook, inputs) == expected_rows(snapshot.result)
    assert "计票" not in workbook.sheetnames
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert (
        "本评议会按评价要素评分：ranking.xlsx 的“排名”工作表写的是发布的结果数值，不是公式"
        in readme
    )


def test_ranking_workbook_keeps_text_that_looks_like_a_formula_as_text():
    inputs = formula_looking_names()
    result = engine.compute(inputs).to_dict()

    workbook = load_workbook(io.BytesIO(audit_pack.ranking_workbook(inputs, result, title="测试")))

    ballots, ranking = workbook["投票"], workbook["排名"]
    texts = [ballots["B4"], ballots["D4"], ballots["E3"], ranking["A4"], ranking["B4"]]
    assert [(c.value, c.data_type) for c in texts] == [
        ("@组", "s"),
        ("-乙", "s"),
        ("=SUM(A1)", "s"),
        ("+类别", "s"),
        ("-乙", "s"),  # 乙 ranks first: 100 against 90
    ]
