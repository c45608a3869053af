"""Writes of 目标填报 (docs/targets.md, "Reports (目标填报)"): keyword-only, atomic, audited.

A unit's liaison reports a period's cumulative value with text and evidence files; the
supervising office (督查室) accepts it or returns it with a reason; a returned report is
corrected and submitted again; an accepted value changes only by a correction the office
records with a reason. Every step is one ReportEvent, kept for ever, and one audit entry.

Rules the pages and the tests rely on:

- A period's report falls due on the year's ``due_day`` of the month after the period ends
  (December's in January of the next year). A report submitted after that day, or submitted
  again after a return once that day has passed, is late; a late report stays late.
- A report waiting for the office (待审核) or accepted (已审核) cannot be submitted again: the
  first is the office's to decide, the second changes only by a correction.
- Files are checked (types, size, content) before anything is written, so a refused upload
  leaves nothing behind; a resubmission keeps the files already attached and adds the new ones.
- Submissions for one breakdown line queue on its row lock, so two at once make one report.
- Every write refreshes its line's stored scores, colours and months reported in the same
  transaction (``targets.line_state``; docs/targets.md, "Stored scores").
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import actor_label, audit, stored_user
from core.text import clean_text
from core.uploads import attachment_check

from .line_state import refresh_lines
from .models import Report, ReportEvent, ReportFile, TargetUnit
from .scores import period_months, year_settings

REPORT_FILE_MAX_BYTES = 20 * 1024 * 1024
REPORT_FILES_MAX = 10  # files a report may hold in all
VALUE_PLACES = 4  # as stored (Report.value: 16 digits, 4 after the point)
VALUE_LIMIT = Decimal(10) ** (16 - VALUE_PLACES)
VALUE_STEP = Decimal(1).scaleb(-VALUE_PLACES)
TEXT_MAX = Report._meta.get_field("text").max_length
REASON_MAX = Report._meta.get_field("return_reason").max_length
NAME_MAX = ReportFile._meta.get_field("name").max_length


def due_date(*, year: int, month: int, due_day: int) -> datetime.date:
    """The day a period ending in ``month`` of ``year`` falls due: ``due_day`` of the month
    after, December's in January of the next year (docs/targets.md, "Reports (目标填报)")."""
    if month == 12:
        return datetime.date(year + 1, 1, due_day)
    return datetime.date(year, month + 1, due_day)


# ---------------------------------------------------------------------------- checks


def clean_value(value) -> Decimal:
    """A reported value as stored: a finite number of at most 4 decimals that fits the column."""
    try:
        value = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(_("完成值须是一个数。")) from None
    if not value.is_finite():
        raise ValidationError(_("完成值须是一个有限的数。"))
    if abs(value) >= VALUE_LIMIT:
        raise ValidationError(_("完成值过大。"))
    if value != value.quantize(VALUE_STEP):
        raise ValidationError(_("完成值最多保留 %(n)s 位小数。") % {"n": VALUE_PLACES})
    return value


def _checked_files(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str, str]]:
    """(upload, original name, content type) of every file, or ValidationError naming each
    file refused; nothing is stored."""
    checked, problems = [], []
    for upload in files:
        try:
            name, _ext, content_type = attachment_check(upload, max_bytes=REPORT_FILE_MAX_BYTES)
        except ValidationError as error:
            problems.extend(error.messages)
        else:
            checked.append((upload, name[-NAME_MAX:], content_type))
    if problems:
        raise ValidationError(problems)
    return checked


def _event(report: Report, *, action: str, actor, at, reason: str = "", previous=None):
    return ReportEvent.objects.create(
        report=report,
        action=action,
        value=report.value,
        previous_value=previous,
        reason=reason,
        at=at,
        actor=stored_user(actor),
        actor_label=actor_label(actor),
    )


def _audit(report: Report, *, action: str, actor, message: str, **detail) -> None:
    line = report.target_unit
    target = line.target
    audit(
        session=None,
        actor=actor,
        action=action,
        message=message,
        district=target.district.code,
        year=target.year,
        report=report.pk,
        target=target.code,
        unit=line.org_unit.code,
        month=report.month,
        value=report.value,
        **detail,
    )


def _what(report: Report) -> dict[str, object]:
    """The words every audit message of a report names it by."""
    line = report.target_unit
    return {
        "unit": line.org_unit.name,
        "code": line.target.code,
        "target": line.target.title,
        "month": report.month,
    }


def _locked(report: Report) -> Report:
    """The report's row, locked, with what the messages name."""
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("target_unit__target__district", "target_unit__org_unit")
        .get(pk=report.pk)
    )


# ---------------------------------------------------------------------------- the liaison


@transaction.atomic
def report_submit(
    *,
    target_unit: TargetUnit,
    month: int,
    value: Decimal,
    text: str,
    files: Sequence[UploadedFile] = (),
    actor,
    at: datetime.datetime | None = None,
) -> Report:
    """Report the value of ``target_unit`` at the end of the period ending in ``month``, or
    submit a returned report again with a new value and text."""
    at = at or timezone.now()
    value = clean_value(value)
    text = clean_text(text, label=_("进展情况"), max_length=TEXT_MAX, required=False)
    checked = _checked_files(files)
    # The lock that makes two submissions for one line at once queue up: the second finds the
    # first's report and is refused (or resubmits it only when returned).
    line = (
        TargetUnit.objects.select_for_update(of=("self",))
        .select_related("target__district", "org_unit")
        .get(pk=target_unit.pk)
    )
    target = line.target
    if month not in period_months(target):
        raise ValidationError(
            _("“%(target)s”按%(period)s填报，没有以 %(month)s 月结束的填报期。")
            % {"target": target.title, "period": target.get_period_display(), "month": month}
        )
    report = Report.objects.filter(target_unit=line, month=month).first()
    if report is not None and report.status == Report.Status.SUBMITTED:
        raise ValidationError(_("本期已报送，正在等待督查室审核，不能重复报送。"))
    if report is not None and report.status == Report.Status.ACCEPTED:
        raise ValidationError(_("本期填报已审核通过；如需更改，请联系督查室更正。"))
    has_files = report is not None and report.files.exists()
    if target.evidence_required and not checked and not has_files:
        raise ValidationError(_("该目标须附佐证材料：请上传至少一个文件。"))
    if len(checked) + (report.files.count() if has_files else 0) > REPORT_FILES_MAX:
        raise ValidationError(
            _("每期填报最多 %(max)s 个佐证材料文件。") % {"max": REPORT_FILES_MAX}
        )
    due = due_date(
        year=target.year, month=month, due_day=year_settings(target.district, target.year).due_day
    )
    late_now = timezone.localdate(at) > due
    previous = None
    if report is None:
        report = Report(target_unit=line, month=month)
    else:
        previous = report.value
    report.target_unit = line
    report.value = value
    report.text = text
    report.status = Report.Status.SUBMITTED
    report.late = report.late or late_now
    report.submitted_at = at
    report.submitted_by = stored_user(actor)
    # The reason stays in the history (the RETURN event); the row holds the current state.
    report.return_reason = ""
    report.reviewed_at = None
    report.reviewed_by = None
    report.save()
    for upload, name, content_type in checked:
        ReportFile.objects.create(
            report=report,
            file=upload,
            name=name,
            content_type=content_type,
            size=upload.size,
            uploaded_by=stored_user(actor),
        )
    _event(report, action=ReportEvent.Action.SUBMIT, actor=actor, at=at, previous=previous)
    refresh_lines([line.pk])
    words = _what(report)
    if previous is None:
        message = _("%(unit)s报送“%(code)s %(target)s”%(month)s月完成值 %(value)s") % {
            **words,
            "value": value,
        }
    else:
        message = _("%(unit)s重新报送“%(code)s %(target)s”%(month)s月完成值 %(value)s") % {
            **words,
            "value": value,
        }
    if report.late:
        message += _("（逾期）")
    _audit(
        report,
        action="targets.report.submit",
        actor=actor,
        message=message,
        late=report.late,
        files=len(checked),
        resubmitted=previous is not None,
    )
    return report


# ---------------------------------------------------------------------------- the office


@transaction.atomic
def report_return(
    *, report: Report, reason: str, actor, at: datetime.datetime | None = None
) -> Report:
    """Return a report waiting for review to its unit, with what to correct."""
    at = at or timezone.now()
    reason = clean_text(reason, label=_("退回理由"), max_length=REASON_MAX, required=True)
    report = _locked(report)
    if report.status != Report.Status.SUBMITTED:
        raise ValidationError(_("只有待审核的填报可以退回。"))
    report.status = Report.Status.RETURNED
    report.return_reason = reason
    report.reviewed_at = at
    report.reviewed_by = stored_user(actor)
    report.save(update_fields=["status", "return_reason", "reviewed_at", "reviewed_by"])
    _event(report, action=ReportEvent.Action.RETURN, actor=actor, at=at, reason=reason)
    refresh_lines([report.target_unit_id])
    _audit(
        report,
        action="targets.report.return",
        actor=actor,
        message=_("退回%(unit)s“%(code)s %(target)s”%(month)s月填报：%(reason)s")
        % {**_what(report), "reason": reason},
        reason=reason,
    )
    return report


@transaction.atomic
def report_accept(*, report: Report, actor, at: datetime.datetime | None = None) -> Report:
    """Accept a report waiting for review: its value is then the one the scores read."""
    at = at or timezone.now()
    report = _locked(report)
    if report.status != Report.Status.SUBMITTED:
        raise ValidationError(_("只有待审核的填报可以审核通过。"))
    report.status = Report.Status.ACCEPTED
    report.reviewed_at = at
    report.reviewed_by = stored_user(actor)
    report.save(update_fields=["status", "reviewed_at", "reviewed_by"])
    _event(report, action=ReportEvent.Action.ACCEPT, actor=actor, at=at)
    refresh_lines([report.target_unit_id])
    _audit(
        report,
        action="targets.report.accept",
        actor=actor,
        message=_("审核通过%(unit)s“%(code)s %(target)s”%(month)s月填报，完成值 %(value)s")
        % {**_what(report), "value": report.value},
    )
    return report


@transaction.atomic
def report_correct(
    *,
    report: Report,
    value: Decimal,
    reason: str,
    actor,
    at: datetime.datetime | None = None,
) -> Report:
    """Change an accepted value: the only way it changes, recorded with the value before and
    the reason (docs/targets.md, "Reports (目标填报)")."""
    at = at or timezone.now()
    value = clean_value(value)
    reason = clean_text(reason, label=_("更正理由"), max_length=REASON_MAX, required=True)
    report = _locked(report)
    if report.status != Report.Status.ACCEPTED:
        raise ValidationError(_("只有已审核的填报可以更正；待审核的请审核或退回。"))
    previous = report.value
    if value == previous:
        raise ValidationError(_("更正后的完成值与原值相同。"))
    report.value = value
    report.save(update_fields=["value"])
    _event(
        report,
        action=ReportEvent.Action.CORRECT,
        actor=actor,
        at=at,
        reason=reason,
        previous=previous,
    )
    refresh_lines([report.target_unit_id])
    _audit(
        report,
        action="targets.report.correct",
        actor=actor,
        message=_(
            "更正%(unit)s“%(code)s %(target)s”%(month)s月完成值：%(previous)s → %(value)s，"
            "理由：%(reason)s"
        )
        % {**_what(report), "previous": previous, "value": value, "reason": reason},
        previous_value=previous,
        reason=reason,
    )
    return report
