"""python manage.py import_targets DISTRICT YEAR FILE.xlsx: a district's breakdown workbook
(目标分解表, targets/workbook.py) for a year, all or nothing. DISTRICT is the district's code.
Prints the counts; on any problem every message (naming sheet, row and column) goes to stderr,
the command exits non-zero and nothing is stored."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from org.models import District
from targets.services import targets_import
from targets.workbook import parse_targets_workbook


class Command(BaseCommand):
    help = "从目标分解表（工作表“目标”）导入一个区（县）一年的目标；有任何错误则不导入。"

    def add_arguments(self, parser):
        parser.add_argument("district", help="the district's code")
        parser.add_argument("year", type=int, help="the year of the targets")
        parser.add_argument("file", help="the workbook (.xlsx, .xls, .ods or .csv)")

    def handle(self, *args, district: str, year: int, file: str, **options):
        found = District.objects.filter(code=district).first()
        if found is None:
            raise CommandError(_("找不到代码为“%(code)s”的区（县）。") % {"code": district})
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到文件“%(path)s”。") % {"path": file})
        try:
            with path.open("rb") as fileobj:
                rows = parse_targets_workbook(
                    fileobj, unit_names=found.units.values_list("name", flat=True)
                )
            counts = targets_import(district=found, year=year, rows=rows, actor=None)
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(
                _("导入失败：发现 %(n)s 个问题（见上），未导入任何目标。")
                % {"n": len(exc.messages)}
            ) from None
        self.stdout.write(
            _("已导入%(district)s%(year)s年目标：新增 %(created)s 项，更新 %(updated)s 项。")
            % {"district": found.name, "year": year, **counts}
        )
