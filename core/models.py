"""A PDF rendered by a task instead of inside a request (docs/results.md, "PDFs in the
background"). The row is how the page that asked for it follows its progress, and how a second
click finds the job the first one started; the file itself is under MEDIA_ROOT/jobs/, which
every application host must share.

Core knows nothing of what a job renders: ``kind`` names it for the app that started it, and
``object_id`` is the primary key of the object its views check access to (a review session),
so that every view re-runs that object's check before it shows or sends anything.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A job still queued or running this long after it was asked for is taken as lost (a worker
# stopped in the middle, or none is running): its page says so and offers to start again, and
# the next click starts a new job instead of waiting on it. The longest render measured takes
# seconds (docs/results.md, "PDFs in the background").
STALE_AFTER = timedelta(minutes=10)


class RenderJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    class Stage(models.TextChoices):
        PREPARE = "prepare", _("准备数据")
        LAYOUT = "layout", _("排版")
        WRITE = "write", _("写入文件")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=40)
    object_id = models.PositiveBigIntegerField(_("所属对象"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The language of the page that asked: the file is printed in it, and so are the messages.
    language = models.CharField(_("语言"), max_length=15)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    # A digest of everything the file prints (the app's own): a job with the same kind, object
    # and key is the same file, so a second click reuses it.
    inputs_key = models.CharField(_("输入摘要"), max_length=100)
    # Set while the job may be reused (queued, running, or done with its file still there), and
    # cleared when it fails, expires or its file is taken: at most one job per key, enforced by
    # the unique index, so two clicks at the same moment cannot start two renders.
    reuse_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status, default=Status.QUEUED)
    stage = models.CharField(_("步骤"), max_length=10, choices=Stage, blank=True)
    # Counted in what the renderer can count (cards laid out); 0 of 0 when it cannot say more
    # than the stage: WeasyPrint lays a document out in one call.
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.TextField(_("说明"), blank=True)
    file_name = models.CharField(_("文件"), max_length=200, blank=True)  # under MEDIA_ROOT
    file_size = models.PositiveBigIntegerField(default=0)
    download_name = models.CharField(_("下载文件名"), max_length=200, blank=True)
    # Credential cards carry secret codes: their file goes as soon as it is downloaded
    # (docs/anonymity.md, "Credential cards").
    delete_after_download = models.BooleanField(default=False)
    keep_minutes = models.PositiveIntegerField(_("保留（分钟）"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    # When the file is deleted (prune_render_jobs; the row goes a day later): its keep time
    # after it was made, or after the job would have been given up for lost.
    expires_at = models.DateTimeField(_("过期时间"), db_index=True)

    class Meta:
        verbose_name = _("生成任务")
        verbose_name_plural = _("生成任务")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "object_id"], name="core_job_object_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"

    def is_stale(self, now) -> bool:
        return (
            self.status in (self.Status.QUEUED, self.Status.RUNNING)
            and now - self.created_at > STALE_AFTER
        )

    def has_file(self, now) -> bool:
        return (
            self.status == self.Status.DONE
            and bool(self.file_name)
            and self.downloaded_at is None
            and self.expires_at > now
        )
