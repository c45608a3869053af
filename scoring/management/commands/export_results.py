"""python manage.py export_results SLUG [--xlsx PATH] [--pdf PATH] [--notice PATH]
(docs/design.md §5).

Writes the files the browser downloads: the published result (the latest snapshot), or before
publication a preview computed now and marked 预览（未发布） in both files. Prints a line saying
which, then the path of every file written. ``--pdf`` is the working copy with the report
cards, ``--notice`` the 通报 in official-document format (docs/results.md). Exits with 1 and a
message for an unknown slug, a session without participants or ballots, or when no file is
asked for.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from scoring import document
from scoring.exports import official as official_export
from scoring.exports import pdf as pdf_export
from scoring.exports import xlsx as xlsx_export
from sessions.models import Ballot, Participant, ReviewSession


class Command(BaseCommand):
    help = "导出评议结果（Excel 和/或 PDF）：已发布的结果，或发布前标明“预览（未发布）”的预览。"

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the session's slug")
        parser.add_argument("--xlsx", metavar="PATH", help="write the workbook here")
        parser.add_argument(
            "--pdf", metavar="PATH", help="write the 评议结果通报 PDF (working copy) here"
        )
        parser.add_argument(
            "--notice", metavar="PATH", help="write the 通报 in official-document format here"
        )

    def handle(self, *args, slug: str, xlsx: str | None, pdf: str | None, notice=None, **options):
        if not xlsx and not pdf and not notice:
            raise CommandError(_("请至少指定 --xlsx、--pdf 或 --notice 中的一个输出文件。"))
        session = ReviewSession.objects.filter(slug=slug).first()
        if session is None:
            raise CommandError(_("找不到标识为“%(slug)s”的评议会。") % {"slug": slug})
        if not Participant.objects.filter(session=session).exists():
            raise CommandError(
                _("评议会“%(title)s”还没有述职单位，没有可导出的结果。") % {"title": session.title}
            )
        if not Ballot.objects.filter(session=session).exists():
            raise CommandError(
                _("评议会“%(title)s”还没有收到评议表，没有可导出的结果。")
                % {"title": session.title}
            )
        targets = [
            (Path(p), writer)
            for p, writer in (
                (xlsx, xlsx_export.render),
                (pdf, pdf_export.render),
                (notice, official_export.render),
            )
            if p
        ]
        for path, _writer in targets:
            if not path.parent.is_dir():
                raise CommandError(_("目录“%(dir)s”不存在。") % {"dir": path.parent})

        try:
            doc = document.build(session)
        except (ValidationError, ValueError) as exc:
            # A scheme the engine refuses (section 4's checks); the scheme page names the fix.
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(
                _("无法计算评议结果：%(problem)s") % {"problem": "；".join(messages)}
            ) from None

        self.stdout.write(
            _("评议会“%(title)s”：%(status)s")
            % {"title": session.title, "status": doc.status_label}
        )
        for path, writer in targets:
            try:
                path.write_bytes(writer(doc))
            except OSError as exc:
                raise CommandError(
                    _("无法写入“%(path)s”：%(error)s") % {"path": path, "error": exc.strerror}
                ) from None
            self.stdout.write(str(path.resolve()))
