"""python manage.py set_status SLUG STATUS — the lifecycle move of the browser (section 5)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sessions import services
from sessions.models import ReviewSession


class Command(BaseCommand):
    help = "按评议会生命周期转换状态（与浏览器相同的检查和审计记录）。"

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("status", help="draft / ready / live / rating / closed / published")

    def handle(self, slug, status, **options):
        session = ReviewSession.objects.filter(slug=slug).first()
        if session is None:
            raise CommandError(f"没有标识为“{slug}”的评议会。 No session with slug {slug!r}.")
        status = status.strip().lower()
        if status not in ReviewSession.Status.values:
            raise CommandError(
                f"未知状态“{status}”；可用：{', '.join(ReviewSession.Status.values)}。 "
                f"Unknown status {status!r}."
            )
        before = session.get_status_display()
        # Warnings do not stop the move (the browser shows them above its confirm button);
        # read before the move, as the browser reads them before the organiser confirms.
        warnings = services.transition_warnings(session, status)
        try:
            session = services.session_transition(session=session, target=status, actor=None)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        for warning in warnings:
            self.stderr.write(f"提醒 warning: {warning}")
        self.stdout.write(f"{session.slug}: {before} → {session.get_status_display()}")
