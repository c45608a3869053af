"""scoring/views_pdf.py: the working copy with a report card per unit, made off the request.
Starting it (once per document), its progress page polled every second, its download; who may
do each; the database backend and its worker; a failed render and its retry."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse

from core.models import RenderJob
from org.access import Role
from org.models import District
from scoring import services
from sessions.models import ReviewSession
from tests.factories import UserFactory
from tests.factories.scoring import RESULTS_SLUG, add_ballot, results_session, scored_session

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
Status = RenderJob.Status


@pytest.fixture
def world():
    return results_session()


def url(name: str, *args) -> str:
    return reverse(f"scoring:{name}", args=[RESULTS_SLUG, *args])


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def start(client) -> RenderJob:
    response = client.post(url("export_pdf"))
    job = RenderJob.objects.get()
    assert (response.status_code, response["Location"]) == (302, url("pdf_job", job.pk))
    return job


def test_pdf_job_urls_are_under_the_session():
    job_id = uuid.UUID("12345678-1234-5678-1234-567812345678")

    assert [url("export_pdf"), url("pdf_job", job_id), url("pdf_job_download", job_id)] == [
        f"/sessions/{RESULTS_SLUG}/results/export.pdf",
        f"/sessions/{RESULTS_SLUG}/results/export.pdf/{job_id}/",
        f"/sessions/{RESULTS_SLUG}/results/export.pdf/{job_id}/download/",
    ]


def test_organiser_starts_the_pdf_and_downloads_it_from_its_page(organiser_client, world):
    job = start(organiser_client)

    page = organiser_client.get(url("pdf_job", job.pk)).content.decode()
    response = organiser_client.get(url("pdf_job_download", job.pk))

    job.refresh_from_db()
    assert (job.status, job.kind, job.object_id, job.params) == (
        Status.DONE,
        "results-pdf",
        world.session.pk,
        {"preview": True},
    )
    assert "hx-trigger" not in page  # done: nothing left to poll
    assert re.search(r'id="job-status">\s*已生成（\d+\.\d\sKB）。', page)
    assert f'<a class="btn" id="job-download" href="{url("pdf_job_download", job.pk)}">' in page
    assert "评议结果 PDF（工作稿，含各单位成绩单）（预览）" in page
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''"
        "%E8%AF%84%E8%AE%AE%E7%BB%93%E6%9E%9C-%E9%A2%84%E8%A7%88-2026-results.pdf"
    )  # 评议结果-预览-2026-results.pdf
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"


def test_starting_twice_makes_one_job_until_anything_printed_changes(organiser_client, world):
    first = start(organiser_client)
    again = organiser_client.post(url("export_pdf"))

    assert again["Location"] == url("pdf_job", first.pk)
    assert RenderJob.objects.count() == 1

    add_ballot(world, world.leaders, "PPPPP")
    changed = organiser_client.post(url("export_pdf"))

    assert RenderJob.objects.count() == 2
    assert changed["Location"] != url("pdf_job", first.pk)


def test_another_districts_organiser_finds_neither_the_start_nor_the_job(client, world):
    job = start(client_for(client, Role.ORGANISER))
    east = District.objects.create(code="guancheng", name="管城回族区")
    client.force_login(UserFactory(role=Role.ORGANISER, role__district=east))

    statuses = [
        client.post(url("export_pdf")).status_code,
        client.get(url("pdf_job", job.pk)).status_code,
        client.get(url("pdf_job", job.pk), **HTMX).status_code,
        client.get(url("pdf_job_download", job.pk)).status_code,
    ]

    assert statuses == [404] * 4
    assert RenderJob.objects.count() == 1


def client_for(client, role):
    client.force_login(UserFactory(role=role))
    return client


def test_a_job_of_another_session_is_not_found_under_this_one(organiser_client, world):
    other = scored_session(leaders=["GGGGG", "GGGGG", "GGGGG"], title="另一场评议")
    job = preview_job(other.session)

    assert organiser_client.get(url("pdf_job", job.pk)).status_code == 404
    assert organiser_client.get(url("pdf_job_download", job.pk)).status_code == 404


def preview_job(session) -> RenderJob:
    """A job as an organiser's click during the preview leaves it, queued."""
    return RenderJob.objects.create(
        kind="results-pdf",
        object_id=session.pk,
        requested_by=UserFactory(role=Role.ORGANISER),
        language="zh-hans",
        params={"preview": True},
        inputs_key="x",
        keep_minutes=60,
        expires_at=session.created_at + timedelta(days=1),
    )


@pytest.mark.parametrize("who", ["observer_client", "moderator_client"])
def test_other_roles_may_not_start_or_open_a_preview(request, world, who):
    job = preview_job(world.session)
    client = request.getfixturevalue(who)

    before = [
        client.post(url("export_pdf")).status_code,
        client.get(url("pdf_job", job.pk)).status_code,
        client.get(url("pdf_job_download", job.pk)).status_code,
    ]
    services.result_publish(session=world.session, actor=job.requested_by)
    after = [
        client.get(url("pdf_job", job.pk)).status_code,
        client.get(url("pdf_job_download", job.pk)).status_code,
    ]

    assert (before, after) == ([403, 403, 403], [403, 403])  # the preview stays the organisers'


def test_observer_downloads_the_published_result(observer_client, world):
    services.result_publish(session=world.session, actor=UserFactory(role=Role.ORGANISER))

    job = start(observer_client)
    response = observer_client.get(url("pdf_job_download", job.pk))

    assert job.params == {"preview": False}
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E8%AF%84%E8%AE%AE%E7%BB%93%E6%9E%9C-2026-results.pdf"
    )  # 评议结果-2026-results.pdf


def test_anonymous_users_are_sent_to_login(client, world):
    job_id = uuid.uuid4()

    for target in (url("export_pdf"), url("pdf_job", job_id), url("pdf_job_download", job_id)):
        response = client.post(target) if target == url("export_pdf") else client.get(target)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={target}")


def test_start_before_rating_is_a_conflict(organiser_client):
    results_session(status=ReviewSession.Status.READY)

    response = organiser_client.post(url("export_pdf"))

    assert response.status_code == 409
    assert RenderJob.objects.count() == 0


def test_progress_fragment_is_not_sent_again_while_nothing_changed(organiser_client, world):
    job = start(organiser_client)

    first = organiser_client.get(url("pdf_job", job.pk), **HTMX)
    again = organiser_client.get(url("pdf_job", job.pk), HTTP_IF_NONE_MATCH=first["ETag"], **HTMX)

    assert first.status_code == 200
    assert first.content.decode().startswith('<section id="render-job"')
    assert (again.status_code, again.content) == (304, b"")
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "private, no-cache"


@pytest.mark.django_db(transaction=True)
def test_with_the_database_backend_a_worker_makes_the_file(client, database_tasks, run_db_worker):
    results_session()
    job = start(client_for(client, Role.ORGANISER))

    queued = client.get(url("pdf_job", job.pk), **HTMX)
    unchanged = client.get(url("pdf_job", job.pk), HTTP_IF_NONE_MATCH=queued["ETag"], **HTMX)
    before = client.get(url("pdf_job_download", job.pk))
    run_db_worker()
    done = client.get(url("pdf_job", job.pk), HTTP_IF_NONE_MATCH=queued["ETag"], **HTMX)
    response = client.get(url("pdf_job_download", job.pk))

    queued_html = queued.content.decode()
    assert f'hx-get="{url("pdf_job", job.pk)}" hx-trigger="every 1s"' in queued_html
    assert "排队中，等待后台生成……" in text(queued_html)
    assert unchanged.status_code == 304
    assert (before.status_code, before["Location"]) == (302, url("pdf_job", job.pk))
    assert done.status_code == 200
    assert done["ETag"] != queued["ETag"]
    assert "hx-trigger" not in done.content.decode()
    assert "已生成" in text(done.content.decode())
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    job.refresh_from_db()
    assert (job.status, job.stage, job.finished_at is not None) == (Status.DONE, "", True)


def test_a_failed_render_says_so_and_can_be_retried(organiser_client, world, settings, tmp_path):
    # The shared storage is not there (a mount missing): MEDIA_ROOT is a file, not a folder.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.MEDIA_ROOT = blocked / "media"

    failed = start(organiser_client)
    page = organiser_client.get(url("pdf_job", failed.pk)).content.decode()

    failed.refresh_from_db()
    assert failed.status == Status.FAILED
    assert text(re.search(r'<p class="notice error"[^>]*>(.*?)</p>', page, re.S).group(1)) == (
        "生成失败：生成文件时出错，文件没有生成。请点“重试”；如果再次失败，请联系系统管理员"
        f"（任务编号 {str(failed.pk)[:8]}）。"
    )
    retry = re.search(
        r'<form method="post" action="([^"]+)">.*?id="job-retry">(.*?)</button>', page, re.S
    )
    assert (retry.group(1), retry.group(2)) == (url("export_pdf"), "重试")

    settings.MEDIA_ROOT = tmp_path / "media"
    response = organiser_client.post(retry.group(1))

    retried = RenderJob.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == url("pdf_job", retried.pk)
    assert retried.status == Status.DONE


def test_an_expired_file_is_gone_and_can_be_made_again(organiser_client, world):
    job = start(organiser_client)
    RenderJob.objects.filter(pk=job.pk).update(expires_at=job.created_at)

    response = organiser_client.get(url("pdf_job_download", job.pk))
    page = organiser_client.get(url("pdf_job", job.pk)).content.decode()

    assert (response.status_code, response["Location"]) == (302, url("pdf_job", job.pk))
    assert "文件生成后保留 60 分钟，现已删除。请重新生成。" in text(page)
    assert 'id="job-retry">重新生成</button>' in page
