"""python manage.py prune_render_jobs — delete the PDFs made off the request once their time
is up, with their jobs (docs/results.md, "PDFs in the background").

Every start of a new job prunes the expired ones too; this command is for a timer, so that a
file nobody came back for (credential cards above all, docs/anonymity.md) goes on time even
when no one starts another job. It also deletes a file under MEDIA_ROOT/jobs/ that no job names.
"""

from django.core.management.base import BaseCommand

from core import render_jobs


class Command(BaseCommand):
    help = "删除已过期的后台生成文件及其任务记录。 Delete expired background-rendered files and their jobs."

    def handle(self, **options):
        pruned = render_jobs.prune()
        self.stdout.write(
            f"已删除 {pruned.jobs} 个任务、{pruned.files} 个文件。 "
            f"Deleted {pruned.jobs} jobs and {pruned.files} files."
        )
