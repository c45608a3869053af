"""A rater's device in the browser tests: the card's QR code opens /r/#CODE (the code only in
the fragment, which is never sent), static/js/rate-entry.js posts it, and the form opens with
the card kept in a cookie; no address the browser shows or sends holds the code. Beside it, the
session the rater walks (twelve units in two categories), the grades tapped, and what the page
is asked about its device (docs/tablets.md): the store in localStorage and the worker's copy."""

import re

from django.conf import settings
from playwright.sync_api import expect

from meeting import questions
from sessions.models import Grade, ReviewSession, UnitCategory
from tests.factories import ParticipantFactory, ReviewSessionFactory, UnitCategoryFactory
from tests.factories.questions import AnsweredQuestionFactory, make_hall

FORM_URL = re.compile(r"/r/form/$")


def qr_path(credential) -> str:
    """The card's QR address on the test server: /r/#CODE."""
    return credential.rating_url.removeprefix(settings.SITE_URL)


def scan(page, credential) -> None:
    """Scan the card: the entry page posts the code and the form (or the card's state) opens."""
    page.goto(qr_path(credential))
    expect(page).to_have_url(FORM_URL)
    page.wait_for_load_state("load")  # htmx (deferred) is bound before the first tap
    assert credential.code not in page.url


def csrf_token(page) -> str:
    """The token the page hands to htmx (hx-headers on <body>), for a hand-made request."""
    return page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")


TOWNS = ["城关镇", "东风街道", "滨河街道", "新华街道"]
DEPARTMENTS = [
    "发展和改革委员会",
    "财政局",
    "教育局",
    "民政局",
    "人力资源和社会保障局",
    "住房和城乡建设局",
    "交通运输局",
    "卫生健康委员会",
]
# Grades cycle over the whole scale, so no two neighbouring rows look alike.
GRADES = [Grade.GOOD, Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR, Grade.ABSTAIN]
LABELS = {value: str(label) for value, label in Grade.choices}
# Every unit's five grades side by side, on a tablet and on a phone (one row of buttons per unit,
# also on the engines that cannot lay out a fieldset as a grid: docs/tablets.md, "Browsers").
GRADES_IN_ONE_ROW = """(function () {
  var rows = document.querySelectorAll(".rate-cell");
  for (var i = 0; i < rows.length; i++) {
    var tops = {};
    var labels = rows[i].querySelectorAll("label.grade");
    for (var j = 0; j < labels.length; j++) tops[Math.round(labels[j].getBoundingClientRect().top)] = 1;
    if (labels.length !== 5 || Object.keys(tops).length !== 1) return false;
  }
  return rows.length > 0;
})()"""


# What static/js/offline.js keeps on the device, and the worker's copies of the card's pages.
DEVICE = "localStorage.getItem('huiji-device')"
KEPT_PAGES = "caches.keys().then(keys => keys.filter(k => k === 'huiji-pages'))"


def grade_of(unit):
    return GRADES[unit.pk % len(GRADES)]


# The service worker controls the page and keeps its copy: a reload without a network is served
# by it.
READY = (
    "caches.keys().then(keys => navigator.serviceWorker.controller !== null"
    " && keys.includes('huiji-pages'))"
)


def rating_session():
    """A session in rating with 12 participants in two categories, in speaking order."""
    session = ReviewSessionFactory(status=ReviewSession.Status.RATING, title="2026年年中述职评议")
    town = UnitCategoryFactory(
        session=session, name="镇(街道)", side=UnitCategory.Side.TOWN, order=1
    )
    department = UnitCategoryFactory(
        session=session, name="政府部门", side=UnitCategory.Side.DEPARTMENT, order=2
    )
    names = [(town, n) for n in TOWNS] + [(department, n) for n in DEPARTMENTS]
    units = [
        ParticipantFactory(
            session=session, unit__category=category, unit__name=name, speaking_order=order
        ).unit
        for order, (category, name) in enumerate(names, start=1)
    ]
    return session, units


def tap(page, unit, grade):
    page.locator(f"#unit-{unit.pk}").get_by_text(LABELS[grade], exact=True).click()


def hall_voting():
    """A live hall whose representatives vote on an answered question: (hall, the open vote)."""
    hall = make_hall()
    voting = questions.vote_open(
        question=AnsweredQuestionFactory(
            session=hall.session,
            unit=hall.units[0],
            text="道路什么时候修好？",
            answer_summary="年底",
        ),
        actor=None,
    )
    return hall, voting
