"""python manage.py import_session FILE.xlsx (docs/design.md §5).

Creates a draft session from a workbook and prints its slug as the last line of stdout, so a
script can capture it. Any problem goes to stderr, the command exits non-zero and nothing is
created.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sessions import services
from sessions.imports import session_create_from_workbook
from sessions.workbook import parse_session_workbook


class Command(BaseCommand):
    help = "从 Excel 工作簿（会议、单位、评议组、评议人）新建一个草稿评议会，最后一行输出其标识。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到文件“%(path)s”。") % {"path": file})
        try:
            with path.open("rb") as fileobj:
                workbook = parse_session_workbook(fileobj)
            session = session_create_from_workbook(workbook=workbook, actor=None)
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(
                _("导入失败：发现 %(n)s 个问题（见上），未创建任何内容。")
                % {"n": len(exc.messages)}
            ) from None
        self.stdout.write(
            _(
                "已创建草稿评议会“%(title)s”：单位类别 %(categories)s 个，单位 %(units)s 个，"
                "评议组 %(groups)s 个，评议码 %(credentials)s 个。"
            )
            % {
                "title": session.title,
                "categories": session.categories.count(),
                "units": session.units.count(),
                "groups": session.rater_groups.count(),
                "credentials": session.credentials.count(),
            }
        )
        warning = services.session_date_warning(
            kind=session.kind, year=session.year, date=session.date
        )
        if warning:
            self.stderr.write(_("提醒：%(warning)s") % {"warning": warning})
        self.stdout.write(session.slug)
