"""python manage.py import_ballots SLUG FILE.xlsx (docs/design.md §5): 纸质票录入.

Keys in the paper ballots of sheet 评议票 while the session is in rating or closed. Prints the
report (ballots imported, grades ignored, ballots flagged); on any problem every message goes
to stderr, the command exits non-zero and nothing is stored.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sessions.models import ReviewSession
from sessions.paper import paper_ballots_import, parse_ballot_workbook


class Command(BaseCommand):
    help = "把纸质评议票（工作表“评议票”）录入评议中或评议已结束的评议会；有任何错误则不录入。"

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the session's slug")
        parser.add_argument("file", help="the .xlsx workbook")

    def handle(self, *args, slug: str, file: str, **options):
        session = ReviewSession.objects.filter(slug=slug).select_related("scheme").first()
        if session is None:
            raise CommandError(_("找不到标识为“%(slug)s”的评议会。") % {"slug": slug})
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到文件“%(path)s”。") % {"path": file})
        try:
            with path.open("rb") as fileobj:
                rows = parse_ballot_workbook(fileobj, session=session)
            report = paper_ballots_import(session=session, workbook_rows=rows, actor=None)
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(
                _("导入失败：发现 %(n)s 个问题（见上），未录入任何评议票。")
                % {"n": len(exc.messages)}
            ) from None
        self.stdout.write(
            _(
                "评议会“%(title)s”：已录入纸质票 %(n)s 张，忽略评价 %(ignored)s 项，标记 %(flagged)s 张。"
            )
            % {
                "title": session.title,
                "n": report.imported,
                "ignored": len(report.ignored),
                "flagged": len(report.flagged),
            }
        )
        for line in (*report.ignored, *report.flagged):
            self.stdout.write(str(line))
