"""PDFs rendered off the request (docs/results.md, "PDFs in the background").

A view that would keep a web worker busy for seconds starts a job instead: ``job_start`` finds
the job already made or under way for the same file (a second click, another tab) or creates
one and hands it to the task queue (django-tasks; ``settings.TASKS``). The app's task calls
``run`` with its renderer, which reports its stage and, where it can count, its progress; the
file goes to MEDIA_ROOT/jobs/ through Django's default storage, which every application host
must share. The job's page polls ``job_page`` every second and downloads through
``job_download``. With the immediate backend (the default) the task runs inside ``job_start``,
so the page is done when it opens.

Nothing here checks access: the app's views check the job's object (a session, per district)
before they call these, on every request.

Housekeeping: a file is kept ``keep`` after it is made, then ``prune`` (``manage.py
prune_render_jobs``, and every ``job_start``) deletes it, and its row a day later; a file
made with ``delete_after_download`` (credential cards, which carry secret codes:
docs/anonymity.md) is deleted as soon as it has been sent once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from .models import STALE_AFTER, RenderJob
from .polling import etag_of, polled

logger = logging.getLogger(__name__)

Status = RenderJob.Status
Stage = RenderJob.Stage

FOLDER = "jobs"
PDF_TYPE = "application/pdf"
FRAGMENT = "core/render_job.html#render-job"
# A job queued longer than this has its page say that the queue is busy or not running.
WAITING_LONG = timedelta(seconds=30)
# A file not referenced by any job is deleted by the prune once it is this old: younger, it may
# be a file being written whose job is about to say so.
ORPHAN_AGE = timedelta(minutes=5)
# A job's row outlives its file by this much (prune_expired).
ROW_KEEP = timedelta(days=1)


class RenderFailed(Exception):
    """A failure the person who asked can act on: its message is shown on the job's page, in
    the language of that page (the renderer runs under it)."""


@dataclass(frozen=True)
class Rendered:
    content: bytes
    download_name: str  # what the browser saves it as


class Progress:
    """What a renderer reports while it works. Every call is one UPDATE, committed at once, that
    the polling page reads: report stages and batches, not every page."""

    def __init__(self, job_id) -> None:
        self.job_id = job_id

    def stage(self, stage: str, *, total: int = 0) -> None:
        RenderJob.objects.filter(pk=self.job_id).update(
            stage=stage, progress_done=0, progress_total=total
        )

    def advance(self, done: int) -> None:
        RenderJob.objects.filter(pk=self.job_id).update(progress_done=done)


# ---------------------------------------------------------------- starting


def job_start(
    *,
    kind: str,
    object_id: int,
    requested_by,
    inputs_key: str,
    task,
    keep: timedelta,
    params: dict | None = None,
    private: bool = False,
    delete_after_download: bool = False,
) -> RenderJob:
    """The job that makes this file: one queued, running or done with its file still there for
    the same ``kind``, object and ``inputs_key`` (and, when ``private``, the same person), or
    else a new one, enqueued as ``task(job_id)``. Two requests at the same moment get the same
    job: the unique ``reuse_key`` lets one insert win and the other read it."""
    now = timezone.now()
    prune_expired(now=now)
    owner = requested_by.pk if private else "-"
    reuse_key = f"{kind}:{object_id}:{owner}:{inputs_key}"
    for _attempt in range(3):
        existing = RenderJob.objects.filter(reuse_key=reuse_key).first()
        if existing is not None:
            if _reusable(existing, now):
                return existing
            _retire(existing)
            continue
        try:
            with transaction.atomic():
                job = RenderJob.objects.create(
                    kind=kind,
                    object_id=object_id,
                    requested_by=requested_by,
                    language=translation.get_language() or "zh-hans",
                    params=params or {},
                    inputs_key=inputs_key,
                    reuse_key=reuse_key,
                    delete_after_download=delete_after_download,
                    keep_minutes=int(keep.total_seconds() // 60),
                    created_at=now,
                    expires_at=now + STALE_AFTER + keep,
                )
        except IntegrityError:
            continue  # the same file was asked for a moment ago: take that job
        _enqueue(job, task)
        job.refresh_from_db()
        return job
    return RenderJob.objects.get(reuse_key=reuse_key)


def _reusable(job: RenderJob, now) -> bool:
    if job.status in (Status.QUEUED, Status.RUNNING):
        return not job.is_stale(now)
    return job.has_file(now)


def _retire(job: RenderJob) -> None:
    """No longer the job a click reuses (failed, given up for lost, expired, taken)."""
    RenderJob.objects.filter(pk=job.pk, reuse_key=job.reuse_key).update(reuse_key=None)


def _enqueue(job: RenderJob, task) -> None:
    try:
        task.enqueue(str(job.pk))
    except Exception:
        # The queue's table or backend is out of order: say so on the page instead of leaving
        # the job queued for ever.
        logger.exception("render job %s: could not be enqueued", job.pk)
        _fail(job.pk, _("无法把任务加入后台队列。请稍后重试；如果仍然失败，请联系系统管理员。"))


# ---------------------------------------------------------------- running


def run(job_id: str, render_file: Callable[[RenderJob, Progress], Rendered]) -> None:
    """Render the job's file with ``render_file`` and store it; called by the app's task. A
    job that is no longer queued (pruned, or a task delivered twice) is left alone."""
    claimed = RenderJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now(), stage=Stage.PREPARE
    )
    if not claimed:
        return
    job = RenderJob.objects.get(pk=job_id)
    with translation.override(job.language):
        try:
            rendered = render_file(job, Progress(job.pk))
            name = default_storage.save(f"{FOLDER}/{job.pk}.pdf", ContentFile(rendered.content))
        except RenderFailed as exc:
            _fail(job.pk, str(exc))
            return
        except Exception:
            logger.exception("render job %s (%s) failed", job.pk, job.kind)
            _fail(
                job.pk,
                _(
                    "生成文件时出错，文件没有生成。请点“重试”；如果再次失败，请联系系统管理员"
                    "（任务编号 %(id)s）。"
                )
                % {"id": str(job.pk)[:8]},
            )
            raise  # the task queue records the failure and its traceback too
    finished = timezone.now()
    stored = RenderJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
        status=Status.DONE,
        stage="",
        file_name=name,
        file_size=len(rendered.content),
        download_name=rendered.download_name,
        finished_at=finished,
        expires_at=finished + timedelta(minutes=job.keep_minutes),
    )
    if not stored:
        default_storage.delete(name)  # the job was pruned meanwhile: leave no file behind


def _fail(job_id, message: str) -> None:
    RenderJob.objects.filter(pk=job_id).update(
        status=Status.FAILED, message=message, reuse_key=None, finished_at=timezone.now()
    )


# ---------------------------------------------------------------- the job's page


def job_state(job: RenderJob, now) -> str:
    """queued, running, done, failed; stale (given up for lost), expired (file deleted after
    its keep time), downloaded (a file deleted once it was sent)."""
    if job.status == Status.DONE:
        if job.downloaded_at is not None:
            return "downloaded"
        return "done" if job.has_file(now) else "expired"
    if job.status == Status.FAILED:
        return "failed"
    return "stale" if job.is_stale(now) else job.status


def _stages(job: RenderJob, state: str) -> list[tuple[str, str]]:
    """Each stage's label and whether it is done, current or still to come."""
    order = list(Stage)
    current = order.index(Stage(job.stage)) if job.stage else (-1 if state == "queued" else 0)
    return [
        (str(stage.label), "done" if i < current else "current" if i == current else "todo")
        for i, stage in enumerate(order)
    ]


def _message(job: RenderJob, state: str) -> str:
    if state == "failed":
        return job.message
    if state == "stale":
        return _(
            "超过 %(minutes)s 分钟仍未完成，后台任务可能已中断或没有运行。请点“重试”；如果仍然"
            "一直排队，请联系系统管理员检查后台任务服务。"
        ) % {"minutes": int(STALE_AFTER.total_seconds() // 60)}
    if state == "expired":
        return _("文件生成后保留 %(minutes)s 分钟，现已删除。请重新生成。") % {
            "minutes": job.keep_minutes
        }
    if state == "downloaded":
        return _("文件已在下载后从服务器删除。如需再次下载，请重新生成。")
    return ""


def job_context(job: RenderJob, *, now=None) -> dict:
    """What templates/core/render_job.html reads about the job (the app adds its URLs)."""
    now = now or timezone.now()
    state = job_state(job, now)
    if state == "expired":
        _forget_file(job)
    return {
        "job": job,
        "job_state": state,
        "job_stages": _stages(job, state),
        "job_polling": state in ("queued", "running"),
        "job_waiting_long": state == "queued" and now - job.created_at > WAITING_LONG,
        "job_message": _message(job, state),
    }


def job_page(request, job: RenderJob, *, template: str, context: dict):
    """The job's page, or under htmx its progress fragment, answered 304 while nothing it shows
    has changed (core/polling.py): the page polls it every second."""
    context = {**context, **job_context(job)}
    if not request.htmx:
        return render(request, template, context)
    key = (
        "render-job",
        1,
        translation.get_language(),
        context["job_state"],
        job.stage,
        job.progress_done,
        job.progress_total,
        context["job_message"],
        context["job_waiting_long"],
        job.file_size,
    )
    return polled(request, etag_of(key), lambda: render(request, FRAGMENT, context))


# ---------------------------------------------------------------- the file


def job_download(job: RenderJob, *, now=None) -> HttpResponse | None:
    """The job's file as an attachment, or None when there is none (not made yet, failed,
    expired, already taken). A ``delete_after_download`` file is read, deleted and marked taken
    under the row's lock, so that it is sent once."""
    now = now or timezone.now()
    if not job.has_file(now):
        if job_state(job, now) == "expired":
            _forget_file(job)
        return None
    if job.delete_after_download:
        with transaction.atomic():
            locked = RenderJob.objects.select_for_update().get(pk=job.pk)
            if not locked.has_file(now):
                return None
            content = _read(locked.file_name)
            if content is None:  # gone from the storage: the page offers to make it again
                RenderJob.objects.filter(pk=job.pk).update(file_name="", reuse_key=None)
                return None
            RenderJob.objects.filter(pk=job.pk).update(
                downloaded_at=now, file_name="", reuse_key=None
            )
        default_storage.delete(locked.file_name)
        response = HttpResponse(content, content_type=PDF_TYPE)
    else:
        try:
            response = FileResponse(
                default_storage.open(job.file_name, "rb"), content_type=PDF_TYPE
            )
        except FileNotFoundError:
            _forget_file(job)
            return None
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=job.download_name
    )
    # A file of this person's, made for them: no shared cache keeps it, and one that holds
    # secret codes is kept by no cache at all.
    patch_cache_control(response, private=True, no_store=job.delete_after_download)
    return response


def _read(name: str) -> bytes | None:
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _forget_file(job: RenderJob) -> None:
    """An expired job's file goes at once, without waiting for the prune."""
    if not job.file_name:
        return
    default_storage.delete(job.file_name)
    RenderJob.objects.filter(pk=job.pk).update(file_name="", reuse_key=None)
    job.file_name = ""


# ---------------------------------------------------------------- housekeeping


@dataclass(frozen=True)
class Pruned:
    jobs: int
    files: int


def prune_expired(*, now=None) -> Pruned:
    """Delete the files of the jobs past their time, and the jobs a day later: until then the
    job's page can still say that its file has expired, and offer to make it again."""
    now = now or timezone.now()
    expired = list(
        RenderJob.objects.filter(expires_at__lte=now)
        .exclude(file_name="")
        .values_list("pk", "file_name")
    )
    for _pk, name in expired:
        default_storage.delete(name)
    if expired:
        RenderJob.objects.filter(pk__in=[pk for pk, _name in expired]).update(
            file_name="", reuse_key=None
        )
    jobs, _by_model = RenderJob.objects.filter(expires_at__lte=now - ROW_KEEP).delete()
    return Pruned(jobs=jobs, files=len(expired))


def prune(*, now=None) -> Pruned:
    """``prune_expired``, then every file under jobs/ that no job names (a job deleted while
    its file was being written, a taken file whose deletion failed)."""
    now = now or timezone.now()
    expired = prune_expired(now=now)
    orphans = 0
    if default_storage.exists(FOLDER):
        named = set(RenderJob.objects.exclude(file_name="").values_list("file_name", flat=True))
        for entry in default_storage.listdir(FOLDER)[1]:
            name = f"{FOLDER}/{entry}"
            if name in named or now - default_storage.get_modified_time(name) < ORPHAN_AGE:
                continue
            default_storage.delete(name)
            orphans += 1
    return Pruned(jobs=expired.jobs, files=expired.files + orphans)
