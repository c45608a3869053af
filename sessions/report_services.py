"""述职报告 and their attachments (docs/design.md §2)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.uploads import attachment_check

from . import lifecycle
from .models import Attachment, Participant, Report, ReviewSession

Status = ReviewSession.Status


# ---------------------------------------------------------------- reports and attachments

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


def _report_editable(session: ReviewSession) -> None:
    if not lifecycle.can_edit_reports(session):
        raise ValidationError(_("评议已结束，述职报告不能再修改。"))


@transaction.atomic
def report_save(*, participant: Participant, kind: str, text: str, actor) -> Report:
    session = participant.session
    _report_editable(session)
    if kind not in Report.Kind.values:
        raise ValidationError(_("未知的报告类型。"))
    report, _created = Report.objects.get_or_create(participant=participant, kind=kind)
    text = (text or "").replace("\r\n", "\n")
    if report.text != text:
        report.text = text
        report.save()
        audit(
            session=session,
            actor=actor,
            action="report.update",
            message=_("更新“%(unit)s”的%(kind)s报告（%(n)s 字）")
            % {"unit": participant.unit.name, "kind": report.get_kind_display(), "n": len(text)},
        )
    return report


@transaction.atomic
def attachment_add(*, participant: Participant, kind: str, upload, actor) -> Attachment:
    session = participant.session
    _report_editable(session)
    if kind not in Report.Kind.values:
        raise ValidationError(_("未知的报告类型。"))
    name, ext, content_type = attachment_check(upload, max_bytes=ATTACHMENT_MAX_BYTES)
    report, _created = Report.objects.get_or_create(participant=participant, kind=kind)
    attachment = Attachment(
        report=report,
        original_name=name[-255:],
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    attachment.file.save(name, upload, save=False)
    try:
        attachment.save()
    except IntegrityError:
        attachment.file.delete(save=False)
        raise
    audit(
        session=session,
        actor=actor,
        action="attachment.add",
        message=_("为“%(unit)s”的%(kind)s报告上传附件“%(name)s”")
        % {"unit": participant.unit.name, "kind": report.get_kind_display(), "name": name},
        size=upload.size,
    )
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: Attachment, actor) -> None:
    report = attachment.report
    session = report.participant.session
    _report_editable(session)
    if session.in_rehearsal:
        # The reset would bring the row back, but not the file deleted below
        # (docs/rehearsal.md).
        raise ValidationError(_("正在彩排：附件在彩排期间不能删除，请在结束彩排并恢复后删除。"))
    name = attachment.original_name
    stored = attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: attachment.file.storage.delete(stored))
    audit(
        session=session,
        actor=actor,
        action="attachment.delete",
        message=_("删除“%(unit)s”的附件“%(name)s”")
        % {"unit": report.participant.unit.name, "name": name},
    )
