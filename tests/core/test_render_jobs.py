"""core/render_jobs.py: starting a job once per file, running it, the file's one download when
it holds secrets, and deleting what has expired. The renderers here are the tests' own (core
renders nothing of its own); the apps' PDFs are tested through their views."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tasks import task

from core import render_jobs
from core.models import STALE_AFTER, RenderJob
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Status = RenderJob.Status
KEEP = timedelta(minutes=30)


def _hello(job, progress):
    progress.stage(RenderJob.Stage.LAYOUT, total=2)
    progress.advance(2)
    return render_jobs.Rendered(
        content=b"%PDF-" + job.params.get("text", "hello").encode(), download_name="你好.pdf"
    )


def _refused(job, progress):
    raise render_jobs.RenderFailed("评议会状态为“草稿”：开始评议后才能生成结果。")


def _broken(job, progress):
    raise RuntimeError("WeasyPrint gave up")


@task()
def render_hello(job_id: str) -> None:
    render_jobs.run(job_id, _hello)


@task()
def render_refused(job_id: str) -> None:
    render_jobs.run(job_id, _refused)


def start(user=None, *, task=render_hello, key="k1", **kwargs) -> RenderJob:
    options = {"kind": "test-pdf", "object_id": 7, "inputs_key": key, "keep": KEEP, **kwargs}
    return render_jobs.job_start(requested_by=user or UserFactory(), task=task, **options)


def test_job_start_runs_the_job_at_once_with_the_immediate_backend():
    job = start(params={"text": "甲"})

    assert (job.status, job.download_name, job.file_size) == (Status.DONE, "你好.pdf", 8)
    assert default_storage.open(job.file_name).read() == "%PDF-甲".encode()
    assert job.file_name == f"jobs/{job.pk}.pdf"
    assert job.expires_at == job.finished_at + KEEP
    assert (job.progress_done, job.progress_total) == (2, 2)


def test_job_start_again_for_the_same_file_is_the_same_job():
    first = start()
    again = start()  # another person: the file is the same for everyone who may see it

    assert again.pk == first.pk
    assert RenderJob.objects.count() == 1


def test_job_start_for_other_inputs_or_another_object_is_another_job():
    first = start()

    jobs = {first.pk, start(key="k2").pk, start(object_id=8).pk, start(kind="other").pk}

    assert len(jobs) == RenderJob.objects.count() == 4


def test_a_private_job_is_reused_by_the_one_who_asked_only():
    user = UserFactory()
    first = start(user, private=True)

    assert start(user, private=True).pk == first.pk
    assert start(private=True).pk != first.pk


def test_a_job_still_queued_is_reused_until_it_is_given_up_for_lost(database_tasks):
    queued = start()
    assert (queued.status, start().pk) == (Status.QUEUED, queued.pk)

    RenderJob.objects.filter(pk=queued.pk).update(
        created_at=timezone.now() - STALE_AFTER - timedelta(seconds=1)
    )
    queued.refresh_from_db()
    later = start()

    assert later.pk != queued.pk
    assert render_jobs.job_state(queued, timezone.now()) == "stale"


def test_a_render_refused_for_a_reason_shows_it_and_is_not_reused():
    failed = start(task=render_refused)

    assert (failed.status, failed.message) == (
        Status.FAILED,
        "评议会状态为“草稿”：开始评议后才能生成结果。",
    )
    assert failed.reuse_key is None
    assert start(task=render_refused).pk != failed.pk


def test_a_render_that_breaks_fails_with_a_message_to_retry_and_raises_to_the_queue(
    database_tasks,
):
    job = start()  # queued: the database backend waits for a worker

    with pytest.raises(RuntimeError):
        render_jobs.run(str(job.pk), _broken)

    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.message == (
        "生成文件时出错，文件没有生成。请点“重试”；如果再次失败，请联系系统管理员"
        f"（任务编号 {str(job.pk)[:8]}）。"
    )
    assert not default_storage.exists(f"jobs/{job.pk}.pdf")


def test_a_job_runs_once_even_when_its_task_is_delivered_twice(database_tasks):
    job = start()
    render_jobs.run(str(job.pk), _hello)
    job.refresh_from_db()
    done_at = job.finished_at

    render_jobs.run(str(job.pk), _broken)  # not run: the job is no longer queued

    job.refresh_from_db()
    assert (job.status, job.finished_at) == (Status.DONE, done_at)


def test_a_file_deleted_after_download_is_sent_once():
    job = start(delete_after_download=True)

    response = render_jobs.job_download(job)
    job.refresh_from_db()

    assert response.content == b"%PDF-hello"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E4%BD%A0%E5%A5%BD.pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert not default_storage.exists(f"jobs/{job.pk}.pdf")
    assert (job.file_name, job.reuse_key) == ("", None)
    assert render_jobs.job_state(job, timezone.now()) == "downloaded"
    assert render_jobs.job_download(job) is None
    assert start(delete_after_download=True).pk != job.pk


def test_a_file_kept_for_a_while_downloads_as_often_as_asked():
    job = start()

    first = b"".join(render_jobs.job_download(job).streaming_content)
    second = b"".join(render_jobs.job_download(job).streaming_content)

    assert first == second == b"%PDF-hello"


def test_an_expired_file_is_not_sent_and_is_deleted_when_asked_for():
    job = start()
    later = job.expires_at + timedelta(seconds=1)

    assert render_jobs.job_download(job, now=later) is None

    job.refresh_from_db()
    assert render_jobs.job_state(job, later) == "expired"
    assert job.file_name == ""
    assert not default_storage.exists(f"jobs/{job.pk}.pdf")


def test_prune_deletes_expired_files_then_their_jobs_and_files_of_no_job():
    gone = start(key="gone")  # expired more than a day ago
    old = start(key="old")  # expired just now: its page can still say so
    kept = start(key="kept")
    RenderJob.objects.filter(pk=gone.pk).update(
        expires_at=timezone.now() - render_jobs.ROW_KEEP - timedelta(seconds=1)
    )
    RenderJob.objects.filter(pk=old.pk).update(expires_at=timezone.now())
    stray = default_storage.save("jobs/stray.pdf", ContentFile(b"%PDF-"))

    soon = render_jobs.prune(now=timezone.now() + render_jobs.ORPHAN_AGE - timedelta(seconds=5))
    later = render_jobs.prune(now=timezone.now() + render_jobs.ORPHAN_AGE + timedelta(seconds=5))

    assert soon == render_jobs.Pruned(jobs=1, files=2)  # the stray file is still young
    assert later == render_jobs.Pruned(jobs=0, files=1)
    assert set(RenderJob.objects.values_list("inputs_key", flat=True)) == {"old", "kept"}
    assert default_storage.listdir("jobs")[1] == [f"{kept.pk}.pdf"]
    assert not default_storage.exists(stray)
    old.refresh_from_db()
    assert (old.file_name, render_jobs.job_state(old, timezone.now())) == ("", "expired")


def test_starting_a_job_prunes_the_expired_ones():
    old = start(key="old")
    RenderJob.objects.filter(pk=old.pk).update(expires_at=timezone.now())

    start(key="new")

    old.refresh_from_db()
    assert old.file_name == ""
    assert not default_storage.exists(f"jobs/{old.pk}.pdf")
