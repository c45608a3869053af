"""core/management/commands/prune_render_jobs.py: the timer's command deletes what has
expired, rows and files, and keeps the rest."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from core import render_jobs
from core.models import RenderJob
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _file(job, progress):
    return render_jobs.Rendered(content=b"%PDF-1.7", download_name="评议结果.pdf")


def test_prune_render_jobs_deletes_expired_files_and_their_rows_a_day_later(capsys):
    user = UserFactory()
    jobs = [
        RenderJob.objects.create(
            kind="test-pdf",
            object_id=1,
            requested_by=user,
            language="zh-hans",
            inputs_key=key,
            keep_minutes=60,
            expires_at=timezone.now() + timedelta(hours=1),
        )
        for key in ("expired", "kept")
    ]
    for job in jobs:
        render_jobs.run(str(job.pk), _file)
    RenderJob.objects.filter(pk=jobs[0].pk).update(expires_at=timezone.now() - render_jobs.ROW_KEEP)
    expired, kept = (RenderJob.objects.get(pk=job.pk) for job in jobs)

    call_command("prune_render_jobs")

    assert capsys.readouterr().out == "已删除 1 个任务、1 个文件。 Deleted 1 jobs and 1 files.\n"
    assert list(RenderJob.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not default_storage.exists(expired.file_name)
    assert default_storage.open(kept.file_name).read() == b"%PDF-1.7"
