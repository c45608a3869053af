"""评议卡: credentials printed as a PDF of cards, 8 to an A4 page, each with a QR code of its
rating URL (``/r/#CODE``: the code only in the fragment, see Credential.rating_url) and the code
in large type for those who would rather type it.

Font strategy (docs/design.md §8): the cards embed static/fonts/NotoSansSC-subset.otf, a
pre-subset Noto Sans SC of ~4,200 characters built by scripts/build_font.py, instead of the
65,535-glyph system collection; characters outside it (a rare name) fall back to the system
"Noto Sans CJK SC". bench/bench_cards.py measures the choice (40 cards, this machine, busy):
with libharfbuzz-subset every font option renders in about the same time (~0.55 s CPU) and the
subset font gives the smallest file (63 KiB against 182 KiB); where WeasyPrint must subset with
fontTools, the system font takes ~5 s and the subset font under 1 s. ``full_fonts=True`` is not
used: one rare character in a name would then embed the whole 15 MB system font.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from .models import Credential, ReviewSession

CARDS_PER_PAGE = 8  # 2 columns × 4 rows on A4 portrait
# Cards laid out at a time: whole pages (so no batch pads a page but the last), and few enough
# that a large print reports its progress every second or so (about 12 ms a card).
BATCH = 8 * CARDS_PER_PAGE
FONT_FILE = settings.BASE_DIR / "static" / "fonts" / "NotoSansSC-subset.otf"
TEMPLATE = "sessions/credential_cards_pdf.html"


@dataclass(frozen=True)
class Card:
    code: str  # as printed, e.g. "ABCD EFGH"
    group_name: str
    holder_name: str
    holder_unit: str
    rating_url: str
    qr: str  # data: URI of a PNG, one pixel per module
    rehearsal: bool = False  # printed with 彩排 across it (docs/rehearsal.md)


def display_code(code: str) -> str:
    """Split in two halves (4 + 4 for our 8-character codes): easier to read out and type."""
    half = (len(code) + 1) // 2
    return f"{code[:half]} {code[half:]}"


def qr_data_uri(url: str) -> str:
    """Level M survives a crease or a smudge. A PNG of one pixel per module, scaled up by the
    PDF without smoothing (``image-rendering: pixelated``), prints as sharp as an SVG and is
    cheap to embed; WeasyPrint drew 40 SVG codes in ~0.35 s, a third of the whole render."""
    qr = segno.make(url, error="m", micro=False, boost_error=False)
    return qr.png_data_uri(scale=1, border=2)


def entry_url() -> str:
    """The address where a code can be typed in by hand (the site's /r/ page)."""
    return settings.SITE_URL + reverse("rate:entry")


def card_for(credential: Credential) -> Card:
    return Card(
        code=display_code(credential.code),
        group_name=credential.group.name,
        holder_name=credential.holder_name,
        holder_unit=credential.holder_unit.name if credential.holder_unit_id else "",
        rating_url=credential.rating_url,
        qr=qr_data_uri(credential.rating_url),
        rehearsal=credential.rehearsal,
    )


def render_cards_html(
    *, session: ReviewSession, credentials: Iterable[Credential], single: bool | None = None
) -> str:
    """``single`` (by default: exactly one card) puts one card on a sheet of its own; a batch of
    a larger print that happens to hold one card keeps the grid."""
    cards: list[Card | None] = [card_for(c) for c in credentials]
    # One card (a reprint, a reissued code) gets a sheet of its own, centred, instead of the
    # top-left cell of an empty grid of eight. Not N copies: a code is a secret for one holder.
    if single is None:
        single = len(cards) == 1
    alone = cards[0] if single and cards else None
    # Fill the last page so that its grid, and so its cut lines, stay whole.
    cards += [None] * (-len(cards) % CARDS_PER_PAGE)
    pages = [
        [cards[row : row + 2] for row in range(start, start + CARDS_PER_PAGE, 2)]
        for start in range(0, len(cards), CARDS_PER_PAGE)
    ]
    return render_to_string(
        TEMPLATE,
        {
            "session": session,
            "pages": [] if alone else pages,
            "single": alone,
            "entry_url": entry_url(),
            "font_url": FONT_FILE.as_uri(),
        },
    )


def render_cards(
    *,
    session: ReviewSession,
    credentials: Iterable[Credential],
    on_progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The PDF of one card per credential, in the order given.

    Laid out BATCH cards at a time with one font configuration, the pages then joined into one
    document the way WeasyPrint documents it (``Document.copy``): a card page stands alone (no
    page numbers), so a large print made off the request can say how far it has got
    (``on_progress(done, total)`` after each batch; sessions/tasks.py). The file is the one a
    single layout gives, pages, text and embedded subset font alike, in the same time
    (docs/results.md, "PDFs in the background")."""
    credentials = list(credentials)
    font_config = FontConfiguration()
    single = len(credentials) == 1
    documents = []
    for start in range(0, max(len(credentials), 1), BATCH):
        html = render_cards_html(
            session=session, credentials=credentials[start : start + BATCH], single=single
        )
        documents.append(
            HTML(string=html, base_url=str(settings.BASE_DIR)).render(font_config=font_config)
        )
        if on_progress is not None:
            on_progress(min(start + BATCH, len(credentials)), len(credentials))
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
