"""python manage.py rebuild_target_scores DISTRICT YEAR: recompute what targets.line_state keeps
for a district's year (each line's scores at the quarters' ends, its latest accepted report and
months reported, the colour of each accepted report) from the reports, in one transaction
(docs/targets.md, "Stored scores"). The writes keep them up to date; this is for a year written
some other way, or after the year's settings (TargetYear) changed. DISTRICT is the district's
code."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from org.models import District
from targets.line_state import refresh_year
from targets.models import TargetUnit


class Command(BaseCommand):
    help = "按填报重新计算一个区（县）一年的目标得分、最新已审核填报与进度颜色。"

    def add_arguments(self, parser):
        parser.add_argument("district", help="the district's code")
        parser.add_argument("year", type=int, help="the year of the targets")

    def handle(self, *args, district: str, year: int, **options):
        found = District.objects.filter(code=district).first()
        if found is None:
            raise CommandError(_("找不到代码为“%(code)s”的区（县）。") % {"code": district})
        start = time.perf_counter()
        with transaction.atomic():
            refresh_year(found, year)
        lines = TargetUnit.objects.filter(target__district=found, target__year=year).count()
        self.stdout.write(
            _("已重新计算%(district)s%(year)s年 %(lines)s 条目标分解的得分（%(seconds).1f 秒）。")
            % {
                "district": found.name,
                "year": year,
                "lines": lines,
                "seconds": time.perf_counter() - start,
            }
        )
