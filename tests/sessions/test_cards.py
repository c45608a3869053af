"""sessions/cards.py: the credential cards PDF."""

import re
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from sessions import cards, credentials
from tests.factories import RaterGroupFactory, ReviewSessionFactory, UnitFactory

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(
    PDFTOTEXT is None, reason="pdftotext (Debian package poppler-utils) is not installed"
)


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "cards.pdf"
    path.write_bytes(pdf)
    return subprocess.run(  # noqa: S603  (a fixed program on our own file)
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def _pages(pdf: bytes, tmp_path) -> int:
    return _pdf_text(pdf, tmp_path).count("\f")


def _issue(count, *, title="2026年惠济区年中述职讲评会", **kwargs):
    session = ReviewSessionFactory(title=title)
    group = RaterGroupFactory(session=session, name="两代表一委员")
    return session, credentials.credentials_generate(
        session=session, group=group, actor=None, count=count, **kwargs
    )


def test_display_code_splits_four_and_four():
    assert cards.display_code("ABCDEFGH") == "ABCD EFGH"


def test_entry_url_is_the_site_rate_prefix():
    assert cards.entry_url() == settings.SITE_URL + "/r/"


def test_rating_url_carries_the_code_only_after_the_fragment_mark(settings):
    # Browsers never send what follows "#": the code reaches no request line, no Referer and
    # no access log (docs/anonymity.md, "Logs").
    settings.SITE_URL = "https://review.example.gov.cn"
    _session, (credential,) = _issue(1)

    url = credential.rating_url

    assert url == f"https://review.example.gov.cn/r/#{credential.code}"
    parts = urlsplit(url)
    assert credential.code not in parts.scheme + parts.netloc + parts.path + parts.query
    assert parts.fragment == credential.code


def test_card_qr_code_encodes_the_fragment_url():
    _session, (credential,) = _issue(1)

    card = cards.card_for(credential)

    assert card.rating_url == f"{settings.SITE_URL}/r/#{credential.code}"
    assert card.qr == cards.qr_data_uri(f"{settings.SITE_URL}/r/#{credential.code}")


def test_render_cards_is_a_pdf():
    session, issued = _issue(1)

    pdf = cards.render_cards(session=session, credentials=issued)

    assert pdf.startswith(b"%PDF")


@needs_pdftotext
def test_render_cards_text_has_each_code_as_printed_and_the_session_title(tmp_path):
    session, issued = _issue(10)

    text = _pdf_text(cards.render_cards(session=session, credentials=issued), tmp_path)

    for credential in issued:
        assert f"{credential.code[:4]} {credential.code[4:]}" in text
        assert credential.rating_url in text
    assert text.count("2026年惠济区年中述职讲评会") == 10
    assert text.count("两代表一委员") == 10


@needs_pdftotext
def test_render_cards_shows_holder_name_and_unit(tmp_path):
    session = ReviewSessionFactory()
    group = RaterGroupFactory(session=session)
    unit = UnitFactory(session=session, name="花园口镇")
    issued = credentials.credentials_generate(
        session=session, group=group, actor=None, holder_names=["张伟", "欧阳龑"], holder_unit=unit
    )

    text = _pdf_text(cards.render_cards(session=session, credentials=issued), tmp_path)

    # 龑 is outside the shipped subset font: the system font must take over.
    assert "张伟" in text
    assert "欧阳龑" in text
    assert text.count("花园口镇") == 2
    assert text.count("每码限用一次") == 2


@needs_pdftotext
@pytest.mark.parametrize(("count", "pages"), [(1, 1), (8, 1), (9, 2), (17, 3)])
def test_render_cards_puts_eight_cards_on_a_page(tmp_path, count, pages):
    session, issued = _issue(count)

    pdf = cards.render_cards(session=session, credentials=issued)

    assert _pages(pdf, tmp_path) == pages


def test_qr_data_uri_is_a_png():
    uri = cards.qr_data_uri("http://127.0.0.1:8000/r/#ABCDEFGH")

    assert uri.startswith("data:image/png;base64,")


def test_font_file_is_shipped():
    assert cards.FONT_FILE.is_file()
    assert cards.FONT_FILE.read_bytes()[:4] == b"OTTO"


def _word_left_edge_mm(pdf: bytes, tmp_path, word: str) -> float:
    path = tmp_path / "cards.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(  # noqa: S603  (a fixed program on our own file)
        [PDFTOTEXT, "-bbox", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    x_min = re.search(rf'<word xMin="([0-9.]+)"[^>]*>{word}</word>', html).group(1)
    return float(x_min) * 25.4 / 72


@needs_pdftotext
def test_render_cards_one_card_is_centred_on_its_own_sheet_not_in_a_corner(tmp_path):
    session, issued = _issue(2)

    single = cards.render_cards(session=session, credentials=issued[:1])
    sheet = cards.render_cards(session=session, credentials=issued)

    code = cards.display_code(issued[0].code).split()[0]
    # On A4 (210 mm) a 95 mm card centred starts at 57.5 mm; its code is 44 mm into the card.
    assert _word_left_edge_mm(single, tmp_path, code) == pytest.approx(57.5 + 44, abs=1.5)
    assert _word_left_edge_mm(sheet, tmp_path, code) == pytest.approx(10 + 44, abs=1.5)
    assert "单张评议卡：沿虚线裁下后交给持有人。" in _pdf_text(single, tmp_path)
    assert "单张评议卡" not in _pdf_text(sheet, tmp_path)
    assert _pages(single, tmp_path) == 1


@needs_pdftotext
def test_render_cards_lays_a_large_print_out_in_batches_and_says_how_far_it_got(tmp_path):
    session, issued = _issue(cards.BATCH + 1)
    reported = []

    pdf = cards.render_cards(
        session=session, credentials=issued, on_progress=lambda *done: reported.append(done)
    )

    last = cards.display_code(issued[-1].code).split()[0]
    assert reported == [(cards.BATCH, cards.BATCH + 1), (cards.BATCH + 1, cards.BATCH + 1)]
    assert _pages(pdf, tmp_path) == cards.BATCH // cards.CARDS_PER_PAGE + 1
    # The last batch's one card stays in the grid of the print, not on a sheet of its own.
    assert _word_left_edge_mm(pdf, tmp_path, last) == pytest.approx(10 + 44, abs=1.5)
    assert "单张评议卡" not in _pdf_text(pdf, tmp_path)
    assert _pdf_text(pdf, tmp_path).count("每码限用一次") == cards.BATCH + 1
