"""审计包 (audit pack): a published result that anyone can recompute without the application
(docs/results.md, "审计包 (audit pack)").

:func:`build` returns a ZIP of the session's current snapshot:

- ``inputs.json``: the canonical inputs (``engine.canonical_inputs``), byte for byte, so that
  their SHA-256 is the snapshot's ``inputs_hash`` (docs/design.md §4.12). They are read from
  the database now and refused when they no longer hash to the snapshot: the inputs changed
  after publication, and only a correction (更正结果) may publish them.
- ``result.json`` (the stored rows, canonical JSON), ``scheme.json`` (the snapshot's copy of the
  计分办法) and ``snapshot.json`` (number, publication time, hash, engine version);
- ``verify.py``: the source of ``scoring/engine.py`` followed by a short ``main``. The engine
  imports only the standard library (STYLE.md point 4), so the file runs anywhere with Python
  3.10 and checks the hash and every row. Carrying the engine itself, rather than a second
  implementation, is what lets a reader audit the very code the server ran;
- ``ranking.xlsx``: the ballots, the other components and the scheme as data, and a sheet
  排名 whose every number is a formula over them, so the ranking can be followed, and
  recomputed, in a spreadsheet (whole-unit grading; in per-criterion grading the sheet holds
  the published values);
- ``README.txt`` in Chinese and English.

In an anonymous session the ballots' keys are the random ids given at the close's mix
(docs/anonymity.md, "Closing: the ballot box mixes") and the canonical inputs sort ballots by
key, so neither the keys nor the order say who rated or when.

The pack's own words (sheet names, grade labels the formulas compare, the README) are fixed
Chinese, with English beside them in the README: the verifier and the formulas read them, and
a pack must read the same whoever downloads it.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import sys
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.spreadsheet import put, write_row
from sessions.models import ReviewSession

from . import engine, selectors
from .models import ResultSnapshot

ENGINE_SOURCE = Path(engine.__file__)
MINIMUM_PYTHON = "3.10"  # the engine uses zip(strict=True) and X | Y in isinstance

GRADE_LABELS = {
    engine.GOOD: "好",
    engine.FAIRLY_GOOD: "较好",
    engine.AVERAGE: "一般",
    engine.POOR: "差",
    engine.ABSTAIN: "弃权",
}
COMPONENT_LABELS = {
    "review": "综合评议",
    "target": "目标考核",
    "daily": "日常考核",
    "satisfaction": "问政满意度",
    "leader_comment": "书面点评",
}
BAND_LABELS = engine.BAND_LABELS
RULE_LABELS = engine.BAND_RULE_LABELS

# Every sheet: a title on row 1, a note on row 2, the header on row 3, data from row 4.
TITLE_ROW, NOTE_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3, 4
SCORE_FORMAT = "0.00"
SHARE_FORMAT = "0.0000"
HEADER_FILL = PatternFill("solid", start_color="E8E8E8")
BOLD = Font(bold=True)
# An impossible grade value, so that MAX/MIN over the grades present skip the absent ones.
NONE_HIGH, NONE_LOW = "-1E+15", "1E+15"


@dataclass(frozen=True)
class AuditPack:
    filename: str
    content: bytes


@dataclass(frozen=True)
class PackInfo:
    """What the README and snapshot.json say about the snapshot."""

    title: str
    slug: str
    number: int
    published_at: str  # ISO 8601, local time with its offset
    reason: str
    inputs_hash: str
    engine_version: str
    anonymous: bool
    generated_at: str


# ---------------------------------------------------------------- Django side


def build(session: ReviewSession) -> AuditPack:
    """The audit pack of ``session``'s current snapshot; ValidationError before publication or
    when the stored inputs no longer hash to the snapshot."""
    snapshot = selectors.current_snapshot(session)
    if snapshot is None:
        raise ValidationError(_("评议结果尚未发布：发布之后才能下载审计包。"))
    inputs = selectors.load_inputs(session)
    inputs_bytes = engine.canonical_inputs(inputs)
    if hashlib.sha256(inputs_bytes).hexdigest() != snapshot.inputs_hash:
        raise ValidationError(
            _(
                "第 %(n)s 版发布之后，评议票、其他考核得分或计分办法有了改动：现存数据的 SHA-256 "
                "与该版记录的不一致，不能生成可复算的审计包。如改动是有意的，请先“更正结果”"
                "发布新的版本；否则请点“核验”查看哪些单位不一致。"
            )
            % {"n": snapshot.number}
        )
    info = _info(session, snapshot)
    content = pack_bytes(
        inputs=inputs,
        inputs_bytes=inputs_bytes,
        result=snapshot.result,
        scheme=snapshot.scheme,
        info=info,
    )
    filename = _("审计包-%(slug)s-第%(n)s版.zip") % {"slug": session.slug, "n": snapshot.number}
    return AuditPack(filename=filename, content=content)


def _info(session: ReviewSession, snapshot: ResultSnapshot) -> PackInfo:
    return PackInfo(
        title=session.title,
        slug=session.slug,
        number=snapshot.number,
        published_at=timezone.localtime(snapshot.created_at).isoformat(timespec="seconds"),
        reason=snapshot.reason,
        inputs_hash=snapshot.inputs_hash,
        engine_version=snapshot.engine_version,
        anonymous=session.scheme.anonymous,
        generated_at=timezone.localtime().isoformat(timespec="seconds"),
    )


# ---------------------------------------------------------------- the pack


def pack_bytes(
    *, inputs: engine.Inputs, inputs_bytes: bytes, result: dict, scheme: dict, info: PackInfo
) -> bytes:
    """The ZIP, from what it is made of; no database here."""
    engine_text = ENGINE_SOURCE.read_text(encoding="utf-8")
    per_criterion = bool(inputs.scheme.criteria)
    snapshot_data = {
        "session": {"title": info.title, "slug": info.slug},
        "number": info.number,
        "published_at": info.published_at,
        "reason": info.reason,
        "inputs_hash": info.inputs_hash,
        "engine_version": info.engine_version,
        "engine_source_sha256": hashlib.sha256(engine_text.encode()).hexdigest(),
        "anonymous": info.anonymous,
        "generated_at": info.generated_at,
    }
    files = {
        "README.txt": readme(info, per_criterion=per_criterion).encode(),
        "inputs.json": inputs_bytes,
        "result.json": _canonical_json(result),
        "scheme.json": _pretty_json(scheme),
        "snapshot.json": _pretty_json(snapshot_data),
        "verify.py": verify_source(engine_text).encode(),
        "ranking.xlsx": ranking_workbook(inputs, result, title=_sheet_title(info)),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _canonical_json(data) -> bytes:
    # engine._canonical_json's format, so result.json reads like inputs.json.
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _pretty_json(data) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _sheet_title(info: PackInfo) -> str:
    return f"{info.title} 评议结果（第 {info.number} 版）"


# ---------------------------------------------------------------- verify.py

VERIFY_HEADER = """\
#!/usr/bin/env python3
# verify.py: 审计包核验程序 / the audit pack's verifier.
#
#   python3 verify.py          (Python {python} or later, standard library only)
#
# 从这里到 "verify.py main" 一行之前，是服务器计算发布结果所用的计分引擎 scoring/engine.py
# 的源代码，生成审计包时原样复制；最后的 main 读取 inputs.json、result.json 和
# snapshot.json，核对 SHA-256，并用引擎逐行复算、与 result.json 比较。
#
# Down to the line "verify.py main", this file is the source of scoring/engine.py, the engine
# the server computed the published result with, copied unchanged when the pack was made; the
# main at the end reads inputs.json, result.json and snapshot.json, checks the SHA-256 and
# recomputes every row with the engine, comparing it with result.json.

"""

# Appended to the engine's source: it uses the engine's own names (compute, load_inputs,
# ENGINE_VERSION) and the standard library only.
VERIFY_MAIN = '''

# ==== verify.py main =============================================================================

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

MAX_DIFFERENCES = 20


def _differences(path, stored, recomputed, found):
    """Where ``stored`` and ``recomputed`` differ, as "path: stored != recomputed" lines."""
    if len(found) >= MAX_DIFFERENCES or stored == recomputed:
        return
    if isinstance(stored, dict) and isinstance(recomputed, dict):
        # In the engine's order (groups, scores, total, rank, band), not result.json's sorted one.
        for key in list(recomputed) + [k for k in stored if k not in recomputed]:
            _differences(f"{path}.{key}", stored.get(key), recomputed.get(key), found)
    elif (
        isinstance(stored, list)
        and isinstance(recomputed, list)
        and len(stored) == len(recomputed)
    ):
        for index, (old, new) in enumerate(zip(stored, recomputed)):
            _differences(f"{path}[{index}]", old, new, found)
    else:
        found.append(f"{path}: result.json {stored!r} != recomputed {recomputed!r}")


def _row_differences(stored, recomputed):
    """Row by row, named by unit, then whatever else differs (order, ballot counts)."""
    found = []
    old_rows = {r["unit"]: r for c in stored.get("categories", []) for r in c.get("rows", [])}
    new_rows = {r["unit"]: r for c in recomputed["categories"] for r in c["rows"]}
    for unit in list(old_rows) + [u for u in new_rows if u not in old_rows]:
        old, new = old_rows.get(unit), new_rows.get(unit)
        if old is None or new is None:
            found.append(f"unit {unit}: only in {'the recomputation' if old is None else 'result.json'}")
            continue
        name = new.get("unit_name", unit)
        _differences(f"{name} [{unit}]", old, new, found)
    if not found:
        _differences("result", stored, recomputed, found)
    return found


def main(argv):
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    inputs_bytes = (folder / "inputs.json").read_bytes()
    stored = json.loads((folder / "result.json").read_bytes())
    snapshot = json.loads((folder / "snapshot.json").read_bytes())
    recorded = snapshot["inputs_hash"]
    digest = hashlib.sha256(inputs_bytes).hexdigest()
    print(f"快照 / snapshot: 第 {snapshot['number']} 版 / no. {snapshot['number']}, "
          f"{snapshot['published_at']}")
    print(f"记录的 SHA-256 / recorded:   {recorded}")
    print(f"重算的 SHA-256 / recomputed: {digest}")
    problems = []
    if digest != recorded:
        problems.append("inputs.json 的 SHA-256 与记录不符 / inputs.json does not hash to the"
                        " recorded SHA-256")
    if snapshot.get("engine_version") != ENGINE_VERSION:
        problems.append(f"引擎版本不同 / engine {snapshot.get('engine_version')!r} recorded,"
                        f" {ENGINE_VERSION!r} here")
    try:
        recomputed = compute(load_inputs(inputs_bytes)).to_dict()
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(f"inputs.json 无法计算 / cannot be computed: {exc!r}")
    else:
        rows = sum(len(c["rows"]) for c in recomputed["categories"])
        differences = _row_differences(stored, recomputed)
        if differences:
            problems.append("复算结果与 result.json 不一致 / the recomputed rows differ:")
            problems.extend("  " + line for line in differences)
        else:
            print(f"复算 {rows} 个单位，与 result.json 逐项一致 / {rows} rows recomputed, all equal")
    if problems:
        print("FAIL")
        for line in problems:
            print(line)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
'''


def verify_source(engine_text: str) -> str:
    """verify.py: the engine's source as it is, then :data:`VERIFY_MAIN`. Refused if the
    engine ever imports something outside the standard library, which the reader would not
    have (docs/architecture.md: the engine imports nothing of the project)."""
    for node in ast.walk(ast.parse(engine_text)):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise RuntimeError("scoring/engine.py imports relatively; verify.py needs it alone")
        names = (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom)
            else []
        )
        for name in names:
            if name.split(".")[0] not in sys.stdlib_module_names:
                raise RuntimeError(f"scoring/engine.py imports {name}; verify.py needs it alone")
    return VERIFY_HEADER.format(python=MINIMUM_PYTHON) + engine_text.rstrip() + "\n" + VERIFY_MAIN


# ---------------------------------------------------------------- README.txt


def readme(info: PackInfo, *, per_criterion: bool) -> str:
    reason = f"\n更正理由 / reason for the correction: {info.reason}" if info.reason else ""
    anonymous_zh = (
        "本评议会为匿名评议：评议结束时每张评议票都换上了新的随机编号并以随机顺序重写，inputs.json "
        "中的票按编号排序，holder_unit 为空；编号和顺序都不反映是谁、何时投的票。"
        if info.anonymous
        else "本评议会为实名评议（匿名评议关闭）：inputs.json 中每张票的 holder_unit 是持票人"
        "所在单位，这是计分办法的一部分（本单位的评价不计入，§4.2），请按实名材料保管。"
    )
    anonymous_en = (
        "This session was anonymous: at the close every ballot was rewritten with a new random "
        "id in a random order; inputs.json sorts ballots by that id and holder_unit is null, so "
        "neither the ids nor their order say who rated or when."
        if info.anonymous
        else "This session was not anonymous: each ballot's holder_unit in inputs.json is its "
        "rater's unit, which the rules need (a unit's own grade is ignored, §4.2); keep the pack "
        "as you keep named ballots."
    )
    sheet_zh = (
        "本评议会按评价要素评分：ranking.xlsx 的“排名”工作表写的是发布的结果数值，不是公式；"
        "逐项复算请运行 verify.py。"
        if per_criterion
        else "“排名”工作表中的每个数字都是公式，引用“投票”“计票”“其他考核”“计分办法”"
        "工作表：改动一张票的等级或一项分值，排名会随之重算。"
    )
    sheet_en = (
        "This session graded per criterion: the sheet 排名 holds the published values, not "
        "formulas; run verify.py to recompute them."
        if per_criterion
        else "Every number on the sheet 排名 is a formula over the sheets 投票 (ballots), 计票 "
        "(counts), 其他考核 (other components) and 计分办法 (the rules): change a grade or a "
        "value and the ranking follows."
    )
    return f"""审计包 / Audit pack
===================

{info.title}（{info.slug}）评议结果 第 {info.number} 版 / result no. {info.number}
发布时间 / published:         {info.published_at}{reason}
输入数据 SHA-256 / inputs:    {info.inputs_hash}
计分引擎 / engine:            {info.engine_version}
生成时间 / pack made:         {info.generated_at}


中文
----

这个压缩包让任何人不依赖本系统，只用 Python {MINIMUM_PYTHON} 或更高版本（仅标准库）复算已发布的
评议结果。

文件
  inputs.json    计算所依据的全部输入：计分办法、类别、单位、评议组、每张评议票、其他考核得分。
                 它就是服务器计算 SHA-256 的规范 JSON，逐字节保存，它的 SHA-256 应等于上面的值，
                 也应等于评议结果页和通报上公布的值。
  result.json    发布时保存的结果：每个单位的各组票数和得分、综合评议、各项得分、加减分、总分、
                 排名、等次及其依据。
  scheme.json    发布时保存的计分办法副本（含文字说明）。
  snapshot.json  版本号、发布时间、输入数据 SHA-256、引擎版本。
  verify.py      独立核验程序（见下）。
  ranking.xlsx   可在 Excel、WPS 或 LibreOffice 中打开的复算表：“投票”（每张票一行、每个单位
                 一列）、“计票”（每个单位每个评议组的票数、去极值和组得分；按评价要素评分时
                 没有这张表）、“其他考核”、“计分办法”和“排名”。
  README.txt     本说明。

如何核验
  在解压后的目录中运行：python3 verify.py（Windows：py verify.py）。
  它检查两件事：
  1. 重新计算 inputs.json 的 SHA-256，与 snapshot.json 记录的值比较；
  2. 用 inputs.json 按计分办法重新计算每个单位的各组票数和得分、综合评议、各项得分、总分、
     排名和等次，与 result.json 逐项比较。
  全部一致时最后一行输出 OK，退出码为 0；否则输出 FAIL 和最先发现的差异，退出码为 1。

  verify.py 包含服务器计算结果时所用的同一计分引擎（scoring/engine.py，{info.engine_version}）
  的完整源代码，后面附一个很短的 main 函数；它不导入本系统的任何内容，也不联网。读者可以直接
  审阅这份代码（snapshot.json 记录了这段源代码的 SHA-256）。
  核验证明的是“这些输入按这份代码得到这些结果”；输入是否就是发布时的输入，请将上面的 SHA-256
  与评议结果页或通报上公布的值对照。

复算表
  {sheet_zh}
  四舍五入（保留两位小数）在表中以整数（百分之一分）运算实现，如 ROUND(合计/票数,0)/100，避免浮点数
  在 .xx5 处舍入出错；同分比较用 SUMPRODUCT 直接比较数值。

匿名
  {anonymous_zh}


English
-------

This archive lets anyone recompute the published result without the application, with Python
{MINIMUM_PYTHON} or later and its standard library only.

Files
  inputs.json    Everything the result depends on: the rules, categories, units, rater groups,
                 every ballot and the other components' scores. It is the canonical JSON whose
                 SHA-256 the server records, kept byte for byte: it must hash to the value above,
                 which is also printed on the results page and in the notice (通报).
  result.json    The rows as published: each unit's votes and score per group, 综合评议, the
                 components, 加减分, total, rank, band and the rule that gave the band.
  scheme.json    The copy of the rules (计分办法) kept with the snapshot, with its wording.
  snapshot.json  Snapshot number, publication time, inputs SHA-256, engine version.
  verify.py      The independent verifier (below).
  ranking.xlsx   A workbook for Excel, WPS or LibreOffice: 投票 (a row per ballot, a column per
                 unit), 计票 (votes, trimming and score per unit and group; not there in
                 per-criterion grading), 其他考核, 计分办法 and 排名 (the ranking).
  README.txt     This file.

How to verify
  In the unzipped folder run: python3 verify.py   (Windows: py verify.py)
  It checks two things:
  1. the SHA-256 of inputs.json, against the one recorded in snapshot.json;
  2. every unit's votes and score per group, 综合评议, components, total, rank and band,
     recomputed from inputs.json by the rules, against result.json.
  When everything matches it prints OK last and exits with 0; otherwise it prints FAIL and the
  first differences and exits with 1.

  verify.py carries the same scoring engine the server ran (scoring/engine.py,
  {info.engine_version}), its complete source unchanged, followed by a short main; it imports
  nothing of the application and uses no network, so you can read and audit that very code
  (snapshot.json records the SHA-256 of the engine's source). Verification proves that these
  inputs give these rows under this code; to know that these are the published inputs, compare
  the SHA-256 above with the one on the results page or in the notice.

The workbook
  {sheet_en}
  Rounding half up to 2 decimals is done in whole hundredths, e.g. ROUND(sum/votes,0)/100, so
  that no floating-point error can turn an .xx5 the wrong way; ties are compared with
  SUMPRODUCT on the numbers themselves.

Anonymity
  {anonymous_en}
"""


# ---------------------------------------------------------------- ranking.xlsx


def _ref(sheet: str, column: str, row: int, *, absolute: bool = True) -> str:
    dollar = "$" if absolute else ""
    return f"'{sheet}'!{dollar}{column}{dollar}{row}"


def _header(ws: Worksheet, title: str, note: str, headers: list[str]) -> None:
    put(ws, TITLE_ROW, 1, title).font = Font(bold=True, size=13)
    put(ws, NOTE_ROW, 1, note)
    for column, text in enumerate(headers, start=1):
        cell = put(ws, HEADER_ROW, column, text)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    # A reference, not ws.cell(): creating the cell would make append() skip row 4.
    ws.freeze_panes = f"C{FIRST_ROW}"


@dataclass
class _Rules:
    """Where the 计分办法 sheet keeps each setting: name -> absolute reference of its value,
    and of its value in hundredths (an integer, for exact rounding)."""

    value: dict
    hundredths: dict
    group_weight: dict  # group key -> reference of the weight in hundredths
    group_min_sample: dict
    leaders: str | None  # key of the leaders' group


def ranking_workbook(inputs: engine.Inputs, result: dict, *, title: str) -> bytes:
    workbook = Workbook()
    # No cached values are written: every application computes the formulas when it opens the
    # file (LibreOffice does anyway; Excel is told to).
    workbook.calculation.fullCalcOnLoad = True
    ranking = workbook.active
    ranking.title = "排名"
    rules_ws = workbook.create_sheet("计分办法")
    ballots_ws = workbook.create_sheet("投票")
    counts_ws = None if inputs.scheme.criteria else workbook.create_sheet("计票")
    external_ws = workbook.create_sheet("其他考核")

    units = {unit.key: unit for unit in inputs.units}
    # The published order (by category, then rank, unranked last): every per-unit sheet uses
    # it, so a unit is on the same row of 排名 and 其他考核.
    order = [row["unit"] for category in result["categories"] for row in category["rows"]]
    order += [unit.key for unit in inputs.units if unit.key not in set(order)]
    categories = {category.key: category.name for category in inputs.categories}

    rules = _write_rules(rules_ws, inputs, title)
    last_ballot_row = _write_ballots(ballots_ws, inputs, title)
    _write_external(external_ws, inputs, [units[key] for key in order], title)
    if counts_ws is None:
        _write_ranking_values(ranking, inputs, result, order, categories, title)
    else:
        _write_counts(counts_ws, inputs, order, rules, last_ballot_row, title)
        _write_ranking_formulas(ranking, inputs, order, categories, rules, title)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_rules(ws: Worksheet, inputs: engine.Inputs, title: str) -> _Rules:
    scheme = inputs.scheme
    _header(
        ws,
        f"{title} 计分办法",
        "“值”是计算所用的规则（与 inputs.json 的 scheme 相同）；“×100”列是同一数值的百分之一分"
        "整数，公式用它精确四舍五入。TRUE 为是，FALSE 为否。",
        ["项目", "值", "×100", "说明"],
    )
    ws.freeze_panes = None
    value: dict = {}
    hundredths: dict = {}
    row = FIRST_ROW

    def setting(name: str, label: str, data, note: str = "", *, scaled: bool = False) -> None:
        nonlocal row
        put(ws, row, 1, label)
        cell = ws.cell(row=row, column=2, value=data)
        value[name] = _ref("计分办法", "B", row)
        if scaled:
            cell.number_format = SCORE_FORMAT
            ws.cell(row=row, column=3, value=f"=ROUND(B{row}*100,0)")
            hundredths[name] = _ref("计分办法", "C", row)
        put(ws, row, 4, note)
        row += 1

    for grade in engine.VOTING_GRADES:
        setting(
            grade,
            f"等级分值：{GRADE_LABELS[grade]}",
            scheme.grade_values[grade],
            "§4.1；弃权和空白不是有效票",
            scaled=True,
        )
    setting(
        "trimmed_mean", "去掉一个最高值和一个最低值", scheme.trimmed_mean, "§4.3，按评议组和单位"
    )
    setting(
        "trim_above",
        "有效票数多于此值时去极值",
        scheme.trim_above,
        "且至少 3 票，去掉后至少剩 1 票；最少有效票数在去极值之前检查（§4.4）",
    )
    for key in engine.COMPONENTS:
        setting(
            f"weight_{key}",
            f"总分权重（%）：{COMPONENT_LABELS[key]}",
            scheme.components.get(key, Decimal(0)),
            "§4.6：总分 = Σ 权重 × 各项得分 / 100，四舍五入到两位小数，再加加减分",
            scaled=True,
        )
    setting("apply_bonus", "计入加减分", scheme.apply_bonus)
    setting(
        "tie_break_leaders",
        "同分时比较县级领导组得分",
        scheme.tie_break_leaders,
        "§4.7：该组没有数据的单位排在有数据的之后",
    )
    setting(
        "tie_break_good_share",
        "再同分时比较“好”票占比",
        scheme.tie_break_good_share,
        "§4.7：所有评议组的“好”票 / 有效票；仍相同的单位名次并列",
    )
    setting("band_excellent", "优秀分数线", scheme.band_excellent, "§4.8：总分 ≥ 此值", scaled=True)
    setting("band_good", "良好分数线", scheme.band_good, scaled=True)
    setting("band_average", "一般分数线", scheme.band_average, "低于此值为较差", scaled=True)
    setting("excellent_cap_enabled", "限制优秀比例", scheme.excellent_cap_enabled)
    setting(
        "excellent_cap_percent",
        "优秀比例上限（%）",
        scheme.excellent_cap_percent,
        "名额 = ⌊比例 × 类别单位数 / 100⌋（类别中所有单位，含无总分的）；名次在名额内才是优秀，"
        "在边界并列的都是优秀；够分数线但超出名额的为良好",
        scaled=True,
    )
    satisfaction_labels = {
        "satisfied": "满意",
        "basically_satisfied": "基本满意",
        "dissatisfied": "不满意",
    }
    for key, label in satisfaction_labels.items():
        setting(
            f"satisfaction_{key}",
            f"问政满意度分值：{label}",
            scheme.satisfaction_values[key],
            "§4.11：按票数取平均",
            scaled=True,
        )

    row += 1
    for column, text in enumerate(["评议组", "权重", "×100", "最少有效票数", "县级领导组"], 1):
        put(ws, row, column, text).font = BOLD
    row += 1
    group_weight, group_min_sample = {}, {}
    for group in inputs.groups:
        put(ws, row, 1, group.name)
        ws.cell(row=row, column=2, value=group.weight).number_format = SCORE_FORMAT
        ws.cell(row=row, column=3, value=f"=ROUND(B{row}*100,0)")
        ws.cell(row=row, column=4, value=group.min_sample)
        ws.cell(row=row, column=5, value=group.is_leaders)
        group_weight[group.key] = _ref("计分办法", "C", row)
        group_min_sample[group.key] = _ref("计分办法", "D", row)
        row += 1
    put(
        ws,
        row,
        1,
        "§4.4–4.5：有效票少于最少有效票数的评议组对该单位没有数据；综合评议 = Σ 权重 × 组得分 / "
        "Σ 权重，只计有数据且权重大于 0 的评议组（权重重新归一），四舍五入到两位小数；没有任何"
        "这样的评议组时无综合评议，也无总分、名次和等次。",
    )
    if scheme.criteria:
        row += 2
        for column, text in enumerate(["评价要素（键）", "权重"], 1):
            put(ws, row, column, text).font = BOLD
        for key, weight in scheme.criteria:
            row += 1
            put(ws, row, 1, key)
            ws.cell(row=row, column=2, value=weight)
    for column, width in zip("ABCD", (34, 12, 10, 90), strict=True):
        ws.column_dimensions[column].width = width
    return _Rules(
        value=value,
        hundredths=hundredths,
        group_weight=group_weight,
        group_min_sample=group_min_sample,
        leaders=next((g.key for g in inputs.groups if g.is_leaders), None),
    )


def _write_ballots(ws: Worksheet, inputs: engine.Inputs, title: str) -> int:
    """投票: the ballots in inputs.json's order (by key). Returns the last row the formulas
    read (the first data row when there is no ballot, so that no range is empty)."""
    units = list(inputs.units)
    names = {unit.key: unit.name for unit in units}
    groups = {group.key: group.name for group in inputs.groups}
    ballots = sorted(inputs.ballots, key=lambda ballot: str(ballot.key))
    row = FIRST_ROW
    criteria = [key for key, _weight in inputs.scheme.criteria]
    note = (
        "每张评议票一行，票号即 inputs.json 的 key；作废票保留但不计分（§4.10）；"
        "持票人对本单位的评价不计（§4.2）。空白和弃权都不是有效票（§4.1）。"
    )
    head = ["票号", "评议组", "作废", "持票人所在单位"]

    def ballot_cells(ballot) -> list:
        holder = ballot.holder_unit
        return [
            str(ballot.key),
            groups.get(ballot.group, str(ballot.group)),
            "是" if ballot.void else "否",
            names.get(holder, "") if holder is not None else "",
        ]

    if not criteria:
        _header(ws, f"{title} 投票", note, [*head, *(unit.name for unit in units)])
        for ballot in ballots:
            grades = ballot.grades
            cells = [GRADE_LABELS.get(grades.get(unit.key)) for unit in units]
            row = write_row(ws, [*ballot_cells(ballot), *cells]) + 1
    else:
        _header(
            ws,
            f"{title} 投票（按评价要素）",
            note + "每张票每个单位一行，每个评价要素一列（键见“计分办法”）。",
            [*head, "单位", *criteria],
        )
        for ballot in ballots:
            for unit in units:
                by_criterion = ballot.grades.get(unit.key)
                if not by_criterion:
                    continue
                cells = [GRADE_LABELS.get(by_criterion.get(key)) for key in criteria]
                row = write_row(ws, [*ballot_cells(ballot), unit.name, *cells]) + 1
    ws.column_dimensions["A"].width = 34
    return max(FIRST_ROW, row - 1)


# 其他考核's columns.
EXT_UNIT, EXT_TARGET, EXT_DAILY, EXT_SATISFACTION = "A", "B", "C", "D"
EXT_SATISFIED, EXT_BASICALLY, EXT_DISSATISFIED = "E", "F", "G"
EXT_COMMENT, EXT_BONUS, EXT_REASONS, EXT_BASIS = "H", "I", "J", "K"


def _write_external(ws: Worksheet, inputs: engine.Inputs, units: list, title: str) -> None:
    _header(
        ws,
        f"{title} 其他考核",
        "§4.6、§4.11：空白为没有分值。问政满意度有现场投票时按票数计分（满意、基本满意、不满意），"
        "否则用分值列。权重大于 0 的一项没有分值的单位无总分。",
        [
            "单位",
            "目标考核",
            "日常考核",
            "问政满意度（分值）",
            "满意（票）",
            "基本满意（票）",
            "不满意（票）",
            "书面点评",
            "加减分",
            "加减分理由",
            "目标考核依据 SHA-256",
        ],
    )
    for offset, unit in enumerate(units):
        row = FIRST_ROW + offset
        scores = inputs.external.get(unit.key, engine.NO_EXTERNAL_SCORES)
        votes = scores.satisfaction_votes or (None, None, None)
        put(ws, row, 1, unit.name)
        for column, data in enumerate(
            [
                scores.target,
                scores.daily,
                scores.satisfaction,
                *votes,
                scores.leader_comment,
                scores.bonus,
            ],
            start=2,
        ):
            ws.cell(row=row, column=column, value=data)
        put(ws, row, 10, "；".join(scores.bonus_reasons))
        put(ws, row, 11, scores.target_basis)
    ws.column_dimensions["A"].width = 20


# 计票's columns, one row per unit and group.
C_UNIT, C_GROUP = "A", "B"
C_GRADES = dict(zip((*engine.VOTING_GRADES, engine.ABSTAIN), "CDEFG", strict=True))
C_VOTES, C_SUM, C_HIGH, C_LOW = "H", "I", "J", "K"
C_HAS_DATA, C_TRIMMED, C_SCORE, C_WEIGHT, C_WEIGHTED = "L", "M", "N", "O", "P"


def _write_counts(
    ws: Worksheet,
    inputs: engine.Inputs,
    order: list[str],
    rules: _Rules,
    last_ballot_row: int,
    title: str,
) -> None:
    """计票: each unit's votes per group counted from 投票, and the group score (§4.1–4.4)."""
    _header(
        ws,
        f"{title} 计票",
        "每个单位每个评议组一行，全部为公式：票数从“投票”中数出（不含作废票和持票人对本单位的评价）；"
        "分值以百分之一分为单位（整数），组得分 = ROUND(合计/票数,0)/100，即四舍五入到两位小数。",
        [
            "单位",
            "评议组",
            "好",
            "较好",
            "一般",
            "差",
            "弃权",
            "有效票数",
            "分值合计（×100）",
            "最高分值（×100）",
            "最低分值（×100）",
            "有数据",
            "去极值",
            "组得分",
            "计入综合评议的权重（×100）",
            "权重 × 组得分（×10⁴）",
        ],
    )
    unit_columns = {
        unit.key: get_column_letter(5 + index) for index, unit in enumerate(inputs.units)
    }
    units = {unit.key: unit for unit in inputs.units}
    last = last_ballot_row

    def ballots(column: str) -> str:
        return f"'投票'!${column}${FIRST_ROW}:${column}${last}"

    grade_values = {grade: rules.hundredths[grade] for grade in engine.VOTING_GRADES}
    row = FIRST_ROW
    for key in order:
        unit = units[key]
        for group in inputs.groups:
            r = row
            put(ws, r, 1, unit.name)
            put(ws, r, 2, group.name)
            column = unit_columns[key]
            valid = (
                f'({ballots("B")}=$B{r})*({ballots("C")}="否")*({ballots("D")}<>$A{r})'
                f"*('投票'!{column}${FIRST_ROW}:{column}${last}="
            )
            for grade, letter in C_GRADES.items():
                ws[f"{letter}{r}"] = f'=SUMPRODUCT({valid}"{GRADE_LABELS[grade]}"))'
            ws[f"{C_VOTES}{r}"] = f"=SUM(C{r}:F{r})"
            ws[f"{C_SUM}{r}"] = "=" + "+".join(
                f"{C_GRADES[grade]}{r}*{grade_values[grade]}" for grade in engine.VOTING_GRADES
            )
            present = [(C_GRADES[grade], grade_values[grade]) for grade in engine.VOTING_GRADES]
            high = ",".join(f"IF({c}{r}>0,{v},{NONE_HIGH})" for c, v in present)
            low = ",".join(f"IF({c}{r}>0,{v},{NONE_LOW})" for c, v in present)
            ws[f"{C_HIGH}{r}"] = f'=IF({C_VOTES}{r}=0,"",MAX({high}))'
            ws[f"{C_LOW}{r}"] = f'=IF({C_VOTES}{r}=0,"",MIN({low}))'
            # §4.4: fewer than the minimum sample is no data, and never a mean over 0 votes.
            ws[f"{C_HAS_DATA}{r}"] = f"={C_VOTES}{r}>=MAX({rules.group_min_sample[group.key]},1)"
            # §4.3, as the engine reads it: more than trim_above votes and at least 3.
            ws[f"{C_TRIMMED}{r}"] = (
                f"=AND({C_HAS_DATA}{r},{rules.value['trimmed_mean']},"
                f"{C_VOTES}{r}>{rules.value['trim_above']},{C_VOTES}{r}>=3)"
            )
            ws[f"{C_SCORE}{r}"] = (
                f"=IF({C_HAS_DATA}{r},ROUND(({C_SUM}{r}-IF({C_TRIMMED}{r},{C_HIGH}{r}+{C_LOW}{r},0))"
                f'/({C_VOTES}{r}-IF({C_TRIMMED}{r},2,0)),0)/100,"")'
            )
            ws[f"{C_SCORE}{r}"].number_format = SCORE_FORMAT
            weight = rules.group_weight[group.key]
            ws[f"{C_WEIGHT}{r}"] = f"=IF(AND({C_HAS_DATA}{r},{weight}>0),{weight},0)"
            ws[f"{C_WEIGHTED}{r}"] = (
                f"=IF({C_WEIGHT}{r}>0,{C_WEIGHT}{r}*ROUND({C_SCORE}{r}*100,0),0)"
            )
            row += 1
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 16


def _ranking_headers(inputs: engine.Inputs, extra_components: list[str]) -> list[str]:
    headers = ["类别", "单位"]
    for group in inputs.groups:
        headers += [f"{group.name} 有效票", f"{group.name} 得分"]
    headers += ["综合评议"]
    headers += [COMPONENT_LABELS[key] for key in extra_components]
    headers += ["加减分", "总分", "排名", "等次", "等次依据"]
    return headers


HELPER_HEADERS = [
    "参与排名",
    "总分（×100）",
    "同分比较：县级领导组得分（×100；无数据为 −1；未启用为 0）",
    "再同分比较：“好”票占比（未启用为 0）",
    "类别单位数",
    "优秀名额",
    "同名次单位数",
    "单位键（inputs.json）",
]


def _write_ranking_formulas(
    ws: Worksheet,
    inputs: engine.Inputs,
    order: list[str],
    categories: dict,
    rules: _Rules,
    title: str,
) -> None:
    """排名: §4.5–4.8, every number a formula over 计票, 其他考核 and 计分办法."""
    scheme = inputs.scheme
    extra = [k for k in engine.COMPONENTS if k != "review" and scheme.components.get(k, 0) > 0]
    headers = _ranking_headers(inputs, extra)
    _header(
        ws,
        f"{title} 排名（公式复算）",
        "每个数字都是公式，引用“计票”“其他考核”“计分办法”；改动“投票”中的一个等级即可看到结果"
        "如何变化。无总分的单位（无有效评议或缺少某项得分）不排名次、不评等次。右侧灰色列是"
        "排名所用的比较键。",
        headers + HELPER_HEADERS,
    )
    group_count = len(inputs.groups)
    units = {unit.key: unit for unit in inputs.units}
    first, last = FIRST_ROW, FIRST_ROW + max(len(order), 1) - 1
    columns = {name: get_column_letter(i) for i, name in enumerate(headers + HELPER_HEADERS, 1)}
    review_col = columns["综合评议"]
    bonus_col, total_col = columns["加减分"], columns["总分"]
    rank_col, band_col, rule_col = columns["排名"], columns["等次"], columns["等次依据"]
    ranked_col, total100_col = columns["参与排名"], columns["总分（×100）"]
    leaders_col, share_col = columns[HELPER_HEADERS[2]], columns[HELPER_HEADERS[3]]
    count_col, allowed_col, tied_col = (
        columns["类别单位数"],
        columns["优秀名额"],
        columns["同名次单位数"],
    )
    component_cols = {key: columns[COMPONENT_LABELS[key]] for key in extra}
    v, h = rules.value, rules.hundredths

    def span(column: str) -> str:
        return f"${column}${first}:${column}${last}"

    for offset, key in enumerate(order):
        r = FIRST_ROW + offset
        unit = units[key]
        top, bottom = FIRST_ROW + offset * group_count, FIRST_ROW + (offset + 1) * group_count - 1
        put(ws, r, 1, categories.get(unit.category, unit.category))
        put(ws, r, 2, unit.name)
        group_score_cols = {}
        for index, group in enumerate(inputs.groups):
            count_row = top + index
            votes_cell = ws.cell(row=r, column=3 + 2 * index, value=f"='计票'!{C_VOTES}{count_row}")
            votes_cell.number_format = "0"
            score = ws.cell(row=r, column=4 + 2 * index, value=f"='计票'!{C_SCORE}{count_row}")
            score.number_format = SCORE_FORMAT
            group_score_cols[group.key] = get_column_letter(4 + 2 * index)
        # §4.5: over the groups with data and weight > 0, weights renormalised.
        if group_count:
            weights = f"SUM('计票'!{C_WEIGHT}{top}:{C_WEIGHT}{bottom})"
            weighted = f"SUM('计票'!{C_WEIGHTED}{top}:{C_WEIGHTED}{bottom})"
            ws[f"{review_col}{r}"] = f'=IF({weights}=0,"",ROUND({weighted}/{weights},0)/100)'
        else:
            ws[f"{review_col}{r}"] = '=""'
        ws[f"{review_col}{r}"].number_format = SCORE_FORMAT
        # §4.6 and §4.11: each component rounded to 2 decimals.
        for component, column in component_cols.items():
            ws[f"{column}{r}"] = _component_formula(component, r, h)
            ws[f"{column}{r}"].number_format = SCORE_FORMAT
        bonus = f"ROUND('其他考核'!{EXT_BONUS}{r}*100,0)"
        ws[f"{bonus_col}{r}"] = f'=IF({v["apply_bonus"]},{bonus}/100,"")'
        ws[f"{bonus_col}{r}"].number_format = SCORE_FORMAT
        present = ",".join(
            f"ISNUMBER({c}{r})" for c in [review_col, *(component_cols[k] for k in extra)]
        )
        # §4.6: Σ W·C / 100 in hundredths is Σ W×100 · C×100 / 10⁴, rounded, then 加减分.
        terms = "+".join(
            f"{h['weight_' + k]}*ROUND({col}{r}*100,0)"
            for k, col in [("review", review_col), *((k, component_cols[k]) for k in extra)]
            if k != "review" or scheme.components.get("review", 0) > 0
        )
        terms = terms or "0"
        ws[f"{total100_col}{r}"] = (
            f'=IF(AND({present}),ROUND(({terms})/10000,0)+IF({v["apply_bonus"]},{bonus},0),"")'
        )
        ws[f"{ranked_col}{r}"] = f"=ISNUMBER({total100_col}{r})"
        ws[f"{total_col}{r}"] = f'=IF({ranked_col}{r},{total100_col}{r}/100,"")'
        ws[f"{total_col}{r}"].number_format = SCORE_FORMAT
        # §4.7 keys: 0 when the tie-break is off, so equal keys fall through to the next one.
        if rules.leaders is not None:
            leader_score = f"{group_score_cols[rules.leaders]}{r}"
            ws[f"{leaders_col}{r}"] = (
                f"=IF({v['tie_break_leaders']},"
                f"IF(ISNUMBER({leader_score}),ROUND({leader_score}*100,0),-1),0)"
            )
        else:
            ws[f"{leaders_col}{r}"] = "=0"
        if group_count:
            good = f"SUM('计票'!{C_GRADES[engine.GOOD]}{top}:{C_GRADES[engine.GOOD]}{bottom})"
            valid = f"SUM('计票'!{C_VOTES}{top}:{C_VOTES}{bottom})"
            ws[f"{share_col}{r}"] = (
                f"=IF({v['tie_break_good_share']},IF({valid}>0,{good}/{valid},0),0)"
            )
        else:
            ws[f"{share_col}{r}"] = "=0"
        ws[f"{share_col}{r}"].number_format = SHARE_FORMAT
        same_category = f"({span('A')}=$A{r})"
        ws[f"{count_col}{r}"] = f"=SUMPRODUCT({same_category}*1)"
        # Competition ranking: 1 + the units of the category whose keys are higher (1, 2, 2, 4).
        # SUMPRODUCT compares the numbers themselves; COUNTIFS would go through text, which
        # cannot hold a share such as 1/3 exactly.
        t, lead, share = span(total100_col), span(leaders_col), span(share_col)
        higher = (
            f"({t}>${total100_col}{r})"
            f"+({t}=${total100_col}{r})*({lead}>${leaders_col}{r})"
            f"+({t}=${total100_col}{r})*({lead}=${leaders_col}{r})*({share}>${share_col}{r})"
        )
        ws[f"{rank_col}{r}"] = (
            f'=IF({ranked_col}{r},1+SUMPRODUCT({same_category}*{span(ranked_col)}*({higher})),"")'
        )
        ws[f"{tied_col}{r}"] = (
            f"=IF({ranked_col}{r},SUMPRODUCT({same_category}*{span(ranked_col)}"
            f'*({span(rank_col)}={rank_col}{r})),"")'
        )
        # §4.8: ⌊cap% × units in the category⌋, exactly: an integer over 10⁴, floored.
        ws[f"{allowed_col}{r}"] = (
            f"=IF({v['excellent_cap_enabled']},"
            f'INT({h["excellent_cap_percent"]}*{count_col}{r}/10000),"")'
        )
        total, rank = f"{total_col}{r}", f"{rank_col}{r}"
        allowed, tied = f"{allowed_col}{r}", f"{tied_col}{r}"
        ws[f"{band_col}{r}"] = (
            f'=IF(NOT({ranked_col}{r}),"",IF({total}>={v["band_excellent"]},'
            f'IF(NOT({v["excellent_cap_enabled"]}),"优秀",IF({rank}<={allowed},"优秀","良好")),'
            f'IF({total}>={v["band_good"]},"良好",IF({total}>={v["band_average"]},"一般","较差"))))'
        )
        ws[f"{rule_col}{r}"] = (
            f'=IF(NOT({ranked_col}{r}),"",'
            f"IF(AND({total}>={v['band_excellent']},{v['excellent_cap_enabled']}),"
            f'IF({rank}<={allowed},IF({rank}+{tied}-1>{allowed},"{RULE_LABELS[engine.RULE_CAP_TIE]}",'
            f'"{RULE_LABELS[engine.RULE_THRESHOLD]}"),"{RULE_LABELS[engine.RULE_CAP]}"),'
            f'"{RULE_LABELS[engine.RULE_THRESHOLD]}"))'
        )
        put(ws, r, len(headers) + len(HELPER_HEADERS), key)  # text; no formula reads it
    _finish_ranking(ws, len(headers))


def _component_formula(component: str, r: int, h: dict) -> str:
    """A component other than 综合评议 from 其他考核, rounded to 2 decimals (§4.6, §4.11)."""
    if component == "satisfaction":
        votes = f"'其他考核'!{EXT_SATISFIED}{r}:{EXT_DISSATISFIED}{r}"
        weighted = (
            f"'其他考核'!{EXT_SATISFIED}{r}*{h['satisfaction_satisfied']}"
            f"+'其他考核'!{EXT_BASICALLY}{r}*{h['satisfaction_basically_satisfied']}"
            f"+'其他考核'!{EXT_DISSATISFIED}{r}*{h['satisfaction_dissatisfied']}"
        )
        score = f"'其他考核'!{EXT_SATISFACTION}{r}"
        # The vote counts win when there are any (4.11); else the score as given.
        return (
            f"=IF(AND(COUNT({votes})=3,SUM({votes})>0),ROUND(({weighted})/SUM({votes}),0)/100,"
            f'IF(ISNUMBER({score}),ROUND({score}*100,0)/100,""))'
        )
    column = {"target": EXT_TARGET, "daily": EXT_DAILY, "leader_comment": EXT_COMMENT}[component]
    cell = f"'其他考核'!{column}{r}"
    return f'=IF(ISNUMBER({cell}),ROUND({cell}*100,0)/100,"")'


def _finish_ranking(ws: Worksheet, visible: int) -> None:
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 20
    grey = PatternFill("solid", start_color="F2F2F2")
    for column in range(visible + 1, visible + len(HELPER_HEADERS) + 1):
        ws.cell(row=HEADER_ROW, column=column).fill = grey
        ws.column_dimensions[get_column_letter(column)].width = 14


def _write_ranking_values(
    ws: Worksheet,
    inputs: engine.Inputs,
    result: dict,
    order: list[str],
    categories: dict,
    title: str,
) -> None:
    """排名 in per-criterion grading: the published values, not formulas (a ballot's value is a
    criterion-weighted mean over the criteria it did not abstain on; verify.py recomputes it)."""
    scheme = inputs.scheme
    extra = [k for k in engine.COMPONENTS if k != "review" and scheme.components.get(k, 0) > 0]
    headers = _ranking_headers(inputs, extra)
    _header(
        ws,
        f"{title} 排名",
        "本评议会按评价要素评分：本表是发布的结果数值，不是公式；逐项复算请运行 verify.py"
        "（见 README.txt）。",
        [*headers, "单位键（inputs.json）"],
    )
    rows = {row["unit"]: row for category in result["categories"] for row in category["rows"]}
    units = {unit.key: unit for unit in inputs.units}
    for offset, key in enumerate(order):
        r = FIRST_ROW + offset
        row = rows.get(key, {})
        unit = units[key]
        values: list = [categories.get(unit.category, unit.category), unit.name]
        groups = {g["group"]: g for g in row.get("groups", [])}
        for group in inputs.groups:
            found = groups.get(group.key, {})
            values += [found.get("votes"), _number(found.get("score"))]
        values.append(_number(row.get("review")))
        values += [_number(row.get("components", {}).get(k)) for k in extra]
        values += [
            _number(row.get("bonus")),
            _number(row.get("total")),
            row.get("rank"),
            BAND_LABELS.get(row.get("band"), ""),
            RULE_LABELS.get(row.get("band_rule"), ""),
            key,
        ]
        for column, data in enumerate(values, start=1):
            cell = put(ws, r, column, data)
            if isinstance(data, Decimal):
                cell.number_format = SCORE_FORMAT
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 20


def _number(text) -> Decimal | None:
    return None if text is None else Decimal(text)
