"""Build static/fonts/NotoSansSC-subset.otf, the small CJK font the PDF credential cards embed.

Run as ``.venv/bin/python scripts/build_font.py`` (fontTools comes with WeasyPrint). It keeps,
from the Simplified Chinese face of Debian's Noto Sans CJK Regular collection:

- printable ASCII, Latin-1 punctuation, general punctuation, CJK symbols and punctuation and the
  full-width forms;
- the 3,755 hanzi of GB2312 level 1 (rows 0xB0-0xD7), which cover nearly every common name;
- every other CJK character found in docs/design.md and in the project's templates and Python
  sources, so that the fixed text of our PDFs never needs the fallback font.

Why (docs/design.md §8): embedding the whole 65,535-glyph collection makes WeasyPrint spend
its time and bytes on font data. A character outside the subset still renders: the PDF CSS
falls back to the system "Noto Sans CJK SC".

The output is deterministic for the same inputs (fontTools' subsetter orders glyphs by id and
the timestamps are the source font's), so a rebuilt file only differs when the kept characters
do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
OUTPUT = ROOT / "static" / "fonts" / "NotoSansSC-subset.otf"
FAMILY = "Noto Sans SC Subset"
DESIGN_CANDIDATES = (ROOT / "docs" / "design.md",)
SCANNED_SOURCES = (("templates", "*.html"), ("sessions", "*.py"), ("scoring", "*.py"))

# Unicode blocks kept whole (small, and needed by any Chinese text).
RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement: ·, ×, ÷, ° ...
    (0x2010, 0x206F),  # general punctuation: — ‘ ’ “ ” … ‰
    (0x2190, 0x2193),  # arrows ← ↑ → ↓
    (0x2460, 0x2473),  # circled numbers ① - ⑳
    (0x25A0, 0x25CF),  # geometric shapes □ ■ ○ ●
    (0x3000, 0x303F),  # CJK symbols and punctuation: 、。〈〉《》「」【】
    (0xFF01, 0xFF5E),  # full-width forms: ，：；（）！？
)


def gb2312_level1() -> list[str]:
    """The 3,755 level-1 hanzi, by decoding GB2312 rows 0xB0-0xD7, columns 0xA1-0xFE.

    Row 0xD7 ends at 0xF9; the five cells after it are unassigned and fail to decode."""
    chars = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x3400 <= cp <= 0x9FFF  # CJK unified ideographs and extension A
        or 0xF900 <= cp <= 0xFAFF  # compatibility ideographs
        or 0x3000 <= cp <= 0x303F
        or 0xFF00 <= cp <= 0xFFEF
    )


def project_characters() -> set[str]:
    """CJK characters of docs/design.md and of our own templates and sources."""
    texts = [p.read_text(encoding="utf-8") for p in DESIGN_CANDIDATES if p.is_file()][:1]
    if not texts:
        print(
            "note: docs/design.md not found; only the project sources are scanned", file=sys.stderr
        )
    for folder, pattern in SCANNED_SOURCES:
        texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / folder).rglob(pattern))]
    return {ch for text in texts for ch in text if is_cjk(ch)}


def wanted_codepoints() -> set[int]:
    codepoints = {cp for first, last in RANGES for cp in range(first, last + 1)}
    codepoints |= {ord(ch) for ch in gb2312_level1()}
    codepoints |= {ord(ch) for ch in project_characters()}
    return codepoints


def sc_face_index(collection: TTCollection) -> int:
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == "Noto Sans CJK SC":
            return index
    raise SystemExit(f"no 'Noto Sans CJK SC' face in {SOURCE}")


def rename(font, family: str) -> None:
    """A modified font gets its own name (a courtesy the OFL asks for; Noto reserves none)."""
    postscript = family.replace(" ", "") + "-Regular"
    names = {1: family, 3: f"{postscript};subset", 4: f"{family} Regular", 6: postscript}
    names[16] = family
    table = font["name"]
    for record in list(table.names):
        if record.nameID in names:
            table.setName(names[record.nameID], record.nameID, *_ids(record))
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = f"{family} Regular", family


def _ids(record) -> tuple[int, int, int]:
    return record.platformID, record.platEncID, record.langID


def build(source: Path, output: Path) -> tuple[int, int]:
    collection = TTCollection(str(source))
    font = collection.fonts[sc_face_index(collection)]
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    # Horizontal Simplified Chinese needs no substitutions: the SC face maps to SC forms
    # already, and the layout tables would pull in ~3,000 JP/KR/TC and vertical variants.
    options.layout_features = []
    options.notdef_outline = True
    options.hinting = False  # print only: hinting adds bytes and nothing on paper
    options.desubroutinize = False  # subroutines keep CFF small
    subsetter = subset.Subsetter(options)
    codepoints = sorted(wanted_codepoints() & set(font.getBestCmap()))
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    rename(font, FAMILY)
    font.recalcTimestamp = False  # keep the source's dates: a rebuild gives the same bytes
    output.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(output), reorderTables=True)
    return len(codepoints), output.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    count, size = build(args.source, args.output)
    print(f"{args.output}: {count} characters, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
