"""python manage.py import_projects SLUG FILE.xlsx [--as-of YYYY-MM-DD]: 重点项目 from a workbook
(projects/workbook.py), all or nothing. Prints what was imported and the counts per colour; on
any problem every message (naming sheet, row and column) goes to stderr, the command exits
non-zero and nothing is stored."""

import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from projects.services import counts_in_words, projects_import
from projects.workbook import parse_projects_workbook
from sessions.models import ReviewSession


def as_of_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("“%(value)s”不是有效日期，请写成 YYYY-MM-DD。") % {"value": text}
        ) from None


class Command(BaseCommand):
    help = "从 Excel 导入重点项目（工作表“项目”和“时间节点”）；有任何错误则不导入。"

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the session's slug")
        parser.add_argument("file", help="the .xlsx workbook")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="compute colours as of YYYY-MM-DD (default: the board's date, else today)",
        )

    def handle(self, *args, slug: str, file: str, as_of: str | None = None, **options):
        session = ReviewSession.objects.filter(slug=slug).first()
        if session is None:
            raise CommandError(_("找不到标识为“%(slug)s”的评议会。") % {"slug": slug})
        date = as_of_date(as_of) if as_of else None
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到文件“%(path)s”。") % {"path": file})
        try:
            with path.open("rb") as fileobj:
                rows = parse_projects_workbook(
                    fileobj, unit_names=session.units.values_list("name", flat=True)
                )
            summary = projects_import(session=session, actor=None, rows=rows, as_of=date)
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(
                _("导入失败：发现 %(n)s 个问题（见上），未导入任何项目。")
                % {"n": len(exc.messages)}
            ) from None
        self.stdout.write(
            _("新增 %(created)s 个，更新 %(updated)s 个，时间节点 %(milestones)s 个。")
            % {
                "created": summary.created,
                "updated": summary.updated,
                "milestones": summary.milestones,
            }
        )
        self.stdout.write(
            _("颜色（截至 %(date)s）：%(counts)s")
            % {"date": summary.as_of.isoformat(), "counts": counts_in_words(summary.counts)}
        )
