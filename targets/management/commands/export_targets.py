"""python manage.py export_targets DISTRICT YEAR FILE.xlsx: a district's targets of a year as the
breakdown workbook (目标分解表), in the shape import_targets reads back."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from org.models import District
from targets.selectors import breakdown_rows
from targets.workbook import workbook_bytes


class Command(BaseCommand):
    help = "把一个区（县）一年的目标导出为目标分解表（.xlsx），可原样再导入。"

    def add_arguments(self, parser):
        parser.add_argument("district", help="the district's code")
        parser.add_argument("year", type=int, help="the year of the targets")
        parser.add_argument("file", help="where to write the .xlsx")

    def handle(self, *args, district: str, year: int, file: str, **options):
        found = District.objects.filter(code=district).first()
        if found is None:
            raise CommandError(_("找不到代码为“%(code)s”的区（县）。") % {"code": district})
        rows = breakdown_rows(district=found, year=year)
        Path(file).write_bytes(workbook_bytes(rows))
        self.stdout.write(
            _("已导出%(district)s%(year)s年目标 %(n)s 项：%(file)s")
            % {"district": found.name, "year": year, "n": len(rows), "file": file}
        )
