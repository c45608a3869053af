"""Benchmark the credential-card PDF (docs/design.md §8: a font strategy for Chinese PDFs).

    .venv/bin/python bench/bench_cards.py [--cards 40] [--runs 5]

Sets Django up on an in-memory SQLite database, issues 40 credentials (two groups, named holders
with units) and renders their cards: first as the application does (the pre-subset font of
static/fonts/), then the alternatives that were weighed against it. Prints, per variant, the
median and max render time over the runs (after one warm-up render, as in a running server) and
the PDF size. Not a test: numbers depend on the machine (and on what else runs on it).

With libharfbuzz-subset (Debian 12 has it) the font choice costs little time; the subset font
makes the PDF a third of the size. Without it WeasyPrint subsets with fontTools, and the
system font is where the 5.6 s the original design contract measured went: ``--fonttools`` shows that case.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = "sqlite:///:memory:"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huiji_review.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from weasyprint import HTML  # noqa: E402

from sessions import cards, credentials, services, unit_services  # noqa: E402
from sessions.models import ReviewSession  # noqa: E402

SIZE_LIMIT = 3 * 1024 * 1024


def make_credentials(count: int):
    call_command("migrate", verbosity=0)
    session = services.session_create(
        kind=ReviewSession.Kind.MIDYEAR, year=2026, title="2026年惠济区年中述职讲评会"
    )
    groups = list(session.rater_groups.all()[:2])
    category = session.categories.first()
    unit = unit_services.unit_save(session=session, actor=None, name="花园口镇", category=category)
    names = [f"评议人{i:02d}号张伟" for i in range(count // 2)]
    issued = credentials.credentials_generate(
        session=session, group=groups[0], actor=None, holder_names=names, holder_unit=unit
    )
    issued += credentials.credentials_generate(
        session=session, group=groups[1], actor=None, count=count - len(names)
    )
    return session, issued


def system_font_html(html: str) -> str:
    """The same cards with the plain system "Noto Sans CJK SC" (no @font-face)."""
    html = re.sub(r"@font-face \{[^}]*\}", "", html)
    return html.replace('"Huiji Cards", ', "")


def woff2_html(html: str, woff2: Path) -> str:
    return html.replace(cards.FONT_FILE.as_uri(), woff2.as_uri()).replace(
        'format("opentype")', 'format("woff2")'
    )


def make_woff2() -> Path:
    from fontTools.ttLib import TTFont

    target = Path("/tmp/NotoSansSC-subset.woff2")  # noqa: S108  (a throwaway for the bench)
    font = TTFont(str(cards.FONT_FILE))
    font.flavor = "woff2"
    font.save(str(target))
    return target


def measure(variants: list[tuple[str, object]], runs: int) -> None:
    """Time each variant ``runs`` times, interleaved round by round so that a burst of other
    work on the machine hits every variant alike. Wall time is what a user waits; this
    process's CPU time is printed too because it stays comparable under load."""
    for _label, render in variants:
        render()  # warm-up: font files read and parsed once per process, as in a server
    walls = {label: [] for label, _ in variants}
    cpus = {label: [] for label, _ in variants}
    sizes = {}
    for _ in range(runs):
        for label, render in variants:
            wall, cpu = time.perf_counter(), time.process_time()
            pdf = render()
            walls[label].append(time.perf_counter() - wall)
            cpus[label].append(time.process_time() - cpu)
            sizes[label] = len(pdf)
    for label, _ in variants:
        flag = "" if sizes[label] < SIZE_LIMIT else "  (over 3 MB)"
        print(
            f"{label:<36} median {statistics.median(walls[label]):6.3f} s"
            f"   max {max(walls[label]):6.3f} s"
            f"   cpu median {statistics.median(cpus[label]):6.3f} s"
            f"   {sizes[label] / 1024:6.0f} KiB{flag}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the credential-card PDF.")
    parser.add_argument("--cards", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="also the slow/large alternatives")
    parser.add_argument(
        "--fonttools",
        action="store_true",
        help="subset embedded fonts with fontTools, as WeasyPrint does on a machine without "
        "libharfbuzz-subset >= 4.1",
    )
    args = parser.parse_args()
    if args.fonttools:
        import logging

        import weasyprint.pdf.fonts

        weasyprint.pdf.fonts.harfbuzz_subset = None  # WeasyPrint's own fallback switch
        logging.getLogger("weasyprint").setLevel(logging.ERROR)  # its warning, once per font

    session, issued = make_credentials(args.cards)
    html = cards.render_cards_html(session=session, credentials=issued)
    plain = system_font_html(html)
    woff2 = woff2_html(html, make_woff2())
    base = str(ROOT)

    def pdf(document: str, **options):
        return lambda: HTML(string=document, base_url=base).write_pdf(**options)

    print(f"{len(issued)} cards, {args.runs} runs each\n")
    print("The application's path (QR codes + template + PDF):")
    measure(
        [("render_cards", lambda: cards.render_cards(session=session, credentials=issued))],
        args.runs,
    )
    print("\nPDF only, from the same HTML:")
    variants = [
        ("subset font (the application's)", pdf(html)),
        ("subset font, full_fonts=True", pdf(html, full_fonts=True)),
        ("subset font as woff2", pdf(woff2)),
        ("system Noto Sans CJK SC", pdf(plain)),
    ]
    if args.all:
        variants.append(("system font, full_fonts=True", pdf(plain, full_fonts=True)))
    measure(variants, args.runs)


if __name__ == "__main__":
    main()
