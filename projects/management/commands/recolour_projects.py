"""python manage.py recolour_projects SLUG [--as-of YYYY-MM-DD]: apply the colour rule to every
重点项目 not coloured by hand (projects/services.py), record each change, print the counts per
colour."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from projects.services import counts_in_words, projects_recolour
from sessions.models import ReviewSession

from .import_projects import as_of_date


class Command(BaseCommand):
    help = "按规则重新计算重点项目的颜色（手动指定的颜色不变），并打印各颜色的项目数。"

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the session's slug")
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, slug: str, as_of: str | None = None, **options):
        session = ReviewSession.objects.filter(slug=slug).first()
        if session is None:
            raise CommandError(_("找不到标识为“%(slug)s”的评议会。") % {"slug": slug})
        date = as_of_date(as_of) if as_of else timezone.localdate()
        plan = projects_recolour(session=session, actor=None, as_of=date)
        self.stdout.write(
            _("截至 %(date)s：%(n)s 个项目变色，%(m)s 个手动颜色不变。")
            % {"date": date.isoformat(), "n": plan.changed, "m": plan.manual}
        )
        self.stdout.write(counts_in_words(plan.counts))
