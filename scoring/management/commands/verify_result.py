"""python manage.py verify_result SLUG — recompute the published result from the stored inputs
and compare it with the snapshot (docs/design.md §4.12): the SHA-256 of the inputs and every
row. Exit 0 when both agree, 1 otherwise (and for an unknown session or one not published)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scoring import services
from sessions.models import ReviewSession


class Command(BaseCommand):
    help = "核验已发布的评议结果：按现存数据重新计算，比较输入数据的 SHA-256 和每个单位的结果。"

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, slug, **options):
        session = ReviewSession.objects.filter(slug=slug).first()
        if session is None:
            raise CommandError(f"没有标识为“{slug}”的评议会。 No session with slug {slug!r}.")
        try:
            verification = services.result_verify(session=session)
        except ValidationError as exc:
            raise CommandError(
                "\n".join(exc.messages) + f" Session {slug!r} has no published result."
            ) from exc
        self.stdout.write(f"快照 / snapshot: 第 {verification.snapshot.number} 版")
        self.stdout.write(f"存档 SHA-256 / stored:     {verification.stored_hash}")
        self.stdout.write(f"重算 SHA-256 / recomputed: {verification.current_hash}")
        if verification.ok:
            self.stdout.write("OK")
            return
        if verification.stored_hash != verification.current_hash:
            self.stdout.write("输入数据的 SHA-256 不一致 / the inputs have changed")
        for line in verification.differences:
            self.stdout.write(f"不一致 / differs: {line}")
        raise CommandError("核验未通过 / verification failed", returncode=1)
