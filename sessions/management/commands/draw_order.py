"""python manage.py draw_order SLUG [--seed SEED] — the speaking-order draw of the draws page
(docs/draws.md), for a session built from the shell. Only a session with a live meeting needs
one: ``set_status SLUG live`` refuses a session without it."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sessions import draw_services
from sessions.models import ReviewSession


class Command(BaseCommand):
    help = "抽签确定发言顺序（与浏览器“抽签”页相同，记录种子和审计日志）；仅在草稿状态可用。"

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument(
            "--seed",
            default="",
            help="随机种子，例如现场公布的数字；不填则随机生成。 Seed (random when omitted).",
        )

    def handle(self, slug, seed, **options):
        session = ReviewSession.objects.filter(slug=slug).first()
        if session is None:
            raise CommandError(f"没有标识为“{slug}”的评议会。 No session with slug {slug!r}.")
        try:
            draw = draw_services.draw_speaking_order(session=session, actor=None, seed=seed)
        except ValidationError as exc:
            raise CommandError(
                "\n".join(exc.messages) + f" Cannot draw the speaking order of {slug!r}."
            ) from exc
        for position, name in enumerate(draw.result, start=1):
            self.stdout.write(f"{position}. {name}")
        self.stdout.write(f"种子 seed: {draw.seed}")
