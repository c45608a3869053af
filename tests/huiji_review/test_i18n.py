"""The English catalogue (locale/en) and the cookie-only language choice
(huiji_review/middleware.py): Chinese unless the user picked English with the switch."""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from sessions import credentials, unit_services
from sessions.models import ReviewSession
from tests.factories import (
    BallotFactory,
    CredentialFactory,
    ReviewSessionFactory,
    UnitCategoryFactory,
    UnitFactory,
)

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE = CATALOGUE / "django.po"
MO_FILE = CATALOGUE / "django.mo"


@pytest.fixture(autouse=True)
def _back_to_default_language():
    # The middleware activates the chosen language for the test's thread; later tests in the
    # same process expect the default again.
    yield
    translation.deactivate()


def _text_of(tag: str, html: str) -> list[str]:
    """The inner text of every <tag ...>...</tag>, whitespace collapsed."""
    found = re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", f).split()) for f in found]


# ---------------------------------------------------------------- which language a page is in


def test_login_page_is_chinese_without_cookie_even_for_english_browser(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    assert _text_of("h1", response.content.decode()) == ["工作人员登录"]


def test_login_page_is_english_with_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(reverse("login"))

    html = response.content.decode()
    assert response.headers["Content-Language"] == "en"
    assert _text_of("h1", html) == ["Staff login"]
    assert _text_of("title", html) == ["Log in · huiji-review"]
    assert _text_of("p", html) == ["Raters do not need to log in: scan the QR code on your card."]


def test_login_page_ignores_unknown_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    response = client.get(reverse("login"))

    assert response.headers["Content-Language"] == "zh-hans"
    assert _text_of("h1", response.content.decode()) == ["工作人员登录"]


def test_session_list_is_english_for_organiser_with_language_cookie(organiser_client):
    ReviewSessionFactory(title="2026年年中述职讲评", status=ReviewSession.Status.DRAFT)
    organiser_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = organiser_client.get(reverse("review:session_list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert _text_of("h1", html) == ["Review sessions"]
    assert _text_of("th", html) == ["Name", "Year", "Date", "Reporting units", "Status"]
    assert re.findall(r'<a class="btn" href="[^"]*">(.*?)</a>', html) == ["New review session"]
    assert _text_of("td", html)[0] == "2026年年中述职讲评 Custom"
    assert re.findall(r'<span class="badge draft">(.*?)</span>', html) == ["Draft"]


def test_session_list_empty_state_is_english_with_language_cookie(organiser_client):
    organiser_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = organiser_client.get(reverse("review:session_list"))

    assert _text_of("td", response.content.decode()) == [
        "There are no review sessions yet. Create one from a template"
    ]


def test_language_switch_sets_cookie_that_later_pages_follow(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(reverse("login"))
    assert _text_of("h1", page.content.decode()) == ["Staff login"]


# ---------------------------------------------------------------- the catalogue itself


@dataclass
class PoEntry:
    msgid: str = ""
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    context: str | None = None  # msgctxt (pgettext), e.g. "ballot"


def _parse_po(text: str) -> list[PoEntry]:
    """Entries of a .po file, header included, obsolete (#~) entries left out."""
    entries: list[PoEntry] = []
    current: PoEntry | None = None
    target: str | None = None  # the keyword whose string continuation lines extend
    for line in text.splitlines():
        if not line.strip() or line.startswith("#~"):
            current, target = None, None
            continue
        if line.startswith("#,"):
            current = current or PoEntry()
            current.flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            value, target = ast.literal_eval(rest), keyword
            if keyword == "msgctxt":
                current = current or PoEntry()
                current.context = ""
            if keyword == "msgid":
                current = current or PoEntry()
                entries.append(current)
            elif keyword.startswith("msgstr"):
                current.msgstrs.append("")
        if target == "msgctxt":
            current.context += value
        elif target == "msgid":
            current.msgid += value
        elif target and target.startswith("msgstr"):
            current.msgstrs[-1] += value
    return entries


def test_po_parser_reads_a_context():
    entries = _parse_po(
        'msgctxt "ballot"\nmsgid "作废"\nmsgstr "Void"\n\nmsgid "作废"\nmsgstr "Revoke"\n'
    )

    assert [(e.context, e.msgid, e.msgstrs) for e in entries] == [
        ("ballot", "作废", ["Void"]),
        (None, "作废", ["Revoke"]),
    ]


def _translations() -> list[PoEntry]:
    return [e for e in _parse_po(PO_FILE.read_text(encoding="utf-8")) if e.msgid]


def test_po_parser_reads_flags_continuations_and_empty_msgstrs():
    text = (
        '#, fuzzy, python-format\nmsgid ""\n"a %(n)s "\n"b"\nmsgstr ""\n\nmsgid "c"\nmsgstr "d"\n'
    )

    entries = _parse_po(text)

    assert [(e.msgid, e.msgstrs, e.flags) for e in entries] == [
        ("a %(n)s b", [""], {"fuzzy", "python-format"}),
        ("c", ["d"], set()),
    ]


def test_catalogue_has_entries():
    assert len(_translations()) > 300


def test_catalogue_has_no_empty_translation():
    empty = [e.msgid for e in _translations() if not all(e.msgstrs)]

    assert empty == []


def test_catalogue_has_no_fuzzy_entry():
    fuzzy = [e.msgid for e in _parse_po(PO_FILE.read_text(encoding="utf-8")) if "fuzzy" in e.flags]

    assert fuzzy == []


def test_catalogue_keeps_every_placeholder():
    placeholder = re.compile(r"%\([a-z_]+\)[-+ #0-9.]*[sdf]|%%|\{\{ *[a-z_.]+ *\}\}")
    broken = [
        e.msgid
        for e in _translations()
        for s in e.msgstrs
        if sorted(placeholder.findall(e.msgid)) != sorted(placeholder.findall(s))
    ]

    assert broken == []


def test_compiled_catalogue_matches_po():
    # A .po edited without `make messages` leaves the .mo that Django actually reads behind.
    with MO_FILE.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = [
        e.msgid
        for e in _translations()
        if (
            compiled.pgettext(e.context, e.msgid)
            if e.context is not None
            else compiled.gettext(e.msgid)
        )
        != e.msgstrs[0]
    ]

    assert stale == []


# ---------------------------------------------------------------- messages from services


@pytest.mark.django_db
def test_unit_save_duplicate_error_is_english_when_english_is_active():
    unit = UnitFactory(name="花园口镇")

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        unit_services.unit_save(
            session=unit.session, actor=None, name="花园口镇", category=unit.category
        )

    assert raised.value.messages == ["Unit “花园口镇” already exists."]


@pytest.mark.django_db
def test_unit_save_duplicate_error_is_chinese_by_default():
    unit = UnitFactory(name="花园口镇")

    with pytest.raises(ValidationError) as raised:
        unit_services.unit_save(
            session=unit.session, actor=None, name="花园口镇", category=unit.category
        )

    assert raised.value.messages == ["单位“花园口镇”已存在。"]


@pytest.mark.django_db
def test_category_save_on_frozen_session_error_names_status_in_english():
    session = ReviewSessionFactory(status=ReviewSession.Status.READY)

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        unit_services.category_save(session=session, actor=None, name="开发区")

    assert raised.value.messages == [
        "Status of the review session: Ready. Units, rater groups, weights and the scoring"
        " scheme are frozen. To change them, first move the session back to Draft (possible"
        " only while no ballots have been cast)."
    ]


@pytest.mark.django_db
def test_category_save_empty_name_error_is_english_when_english_is_active():
    session = ReviewSessionFactory()

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        unit_services.category_save(session=session, actor=None, name="  ")

    assert raised.value.messages == ["Category: the name cannot be empty."]


@pytest.mark.django_db
def test_credential_revoke_used_code_error_is_english_when_english_is_active():
    credential = CredentialFactory()
    BallotFactory(credential=credential)

    with translation.override("en"), pytest.raises(ValidationError) as raised:
        credentials.credential_revoke(credential=credential, actor=None)

    assert raised.value.messages == [
        f"Credential #{credential.pk} has already been used to submit a ballot"
        " and cannot be changed (Revoke)."
    ]


@pytest.mark.django_db
def test_category_save_audit_message_is_written_in_active_language():
    session = ReviewSessionFactory()
    UnitCategoryFactory(session=session, name="镇(街道)")

    with translation.override("en"):
        unit_services.category_save(session=session, actor=None, name="开发区")

    assert session.audit_entries.get(action="category.create").message == (
        "Added unit category “开发区”"
    )


def test_void_ballot_and_revoked_credential_read_apart_in_english():
    with translation.override("en"):
        assert (translation.pgettext("ballot", "已作废"), translation.gettext("已作废")) == (
            "Void",
            "Revoked",
        )
        assert translation.pgettext("ballot", "作废") == "Void"
