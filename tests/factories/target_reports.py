"""Liaisons, the office and reports made through targets/reports.py, for the reporting
workflow's tests (targets/reports.py, targets/views/reports.py)."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from org.access import Role
from targets import reports

from . import UserFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf_upload(name="佐证材料.pdf", data=PDF_BYTES):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def liaison_of(unit, username=None):
    """A liaison (单位填报员) of ``unit``."""
    extra = {"username": username} if username else {}
    return UserFactory(role=Role.LIAISON, role__org_unit=unit, **extra)


def office_of(district=None, username=None):
    """A user of the supervising office (督查室) of ``district`` (the installation's)."""
    extra = {"username": username} if username else {}
    return UserFactory(role=Role.OFFICE, role__district=district, **extra)


def local(year, month, day, hour=10):
    return timezone.make_aware(datetime.datetime(year, month, day, hour, 0))


def submitted(line, *, month=3, value=Decimal(50), actor=None, at=None, files=None, text=""):
    """A report of ``line`` submitted through the service, with one PDF by default."""
    return reports.report_submit(
        target_unit=line,
        month=month,
        value=value,
        text=text,
        files=[pdf_upload()] if files is None else files,
        actor=actor,
        at=at,
    )
