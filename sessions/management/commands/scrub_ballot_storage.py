"""python manage.py scrub_ballot_storage — rewrite the ballot tables so no dead row remains.

Closing rating does this by itself once the close has committed (sessions/ballot_box.py); run
it by hand when that step was refused (the audit log then says so) and once after upgrading
(docs/anonymity.md, "upgrading").
"""

from django.core.management.base import BaseCommand, CommandError

from sessions import ballot_box


class Command(BaseCommand):
    help = "重写评议票、评价和暂存评价的存储，不留已删除的旧记录（VACUUM FULL）。"

    def handle(self, **options):
        if not ballot_box.scrub_storage():
            raise CommandError(
                "存储清理未完成，请查看日志后重试。 The ballot storage was not rewritten; "
                "see the log and try again."
            )
        self.stdout.write("评议票存储已重写。 Ballot storage rewritten.")
