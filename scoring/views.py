"""Results pages: 其他考核, the result per category with the
sensitivity panel, publication, correction, verification, the per-unit report card and the
downloads. Views parse input with forms, call scoring.services and render; every table reads
``scoring.document.build`` so that the pages and the exports cannot disagree.

Who sees what (docs/design.md §3 and §6):
- organisers: everything; the result as a preview while the session is rating or closed;
- observers (纪委/人大 supervision): 其他考核 (read only), and the result once published, with
  its snapshots and the 核验 button;
- moderators: the result once published (as the big screen shows it), nothing before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from org.access import can_organise, can_supervise
from sessions import lifecycle
from sessions.forms import XLSX_TYPE
from sessions.models import ReviewSession, Unit
from sessions.views.access import get_session_for_user, supervision_context
from sessions.words import component_labels, number
from sessions.workbook import problems_of

from . import document, imports, selectors, services
from .forms import CorrectionForm, ScoreRowForm, ScoresUploadForm, TargetsFillForm
from .models import ExternalScore, LeaderComment

Status = ReviewSession.Status
PDF_TYPE = "application/pdf"
DOWNLOAD_COOKIE = "huiji_download"
DOWNLOAD_TOKEN = re.compile(r"[0-9]{1,40}")


# ---------------------------------------------------------------- access


def _get_session_for_results(request, slug: str) -> ReviewSession:
    """Organisers always; everyone else with a staff role only once a result is published
    (the published snapshot is what they may see, never a preview)."""
    session = get_session_for_user(request, slug)
    if (
        not can_organise(request.user, session.district_id)
        and selectors.current_snapshot(session) is None
    ):
        raise PermissionDenied(_("评议结果尚未发布：发布前只有组织者可以查看预览。"))
    return session


def _get_session_for_supervision(request, slug: str) -> ReviewSession:
    """Snapshots and verification: organisers and observers (纪委/人大), not moderators."""
    session = _get_session_for_results(request, slug)
    if not can_supervise(request.user, session.district_id):
        raise PermissionDenied(_("只有组织者和监督人员可以核验评议结果。"))
    return session


def _get_session_for_scores(request, slug: str, *, organise: bool = False) -> ReviewSession:
    """其他考核: organisers change it, observers read it; moderators do not see scores."""
    session = get_session_for_user(request, slug, organise=organise)
    if not organise and not can_supervise(request.user, session.district_id):
        raise PermissionDenied(_("只有组织者和监督人员可以查看其他考核得分。"))
    return session


def _preview_refusal(session: ReviewSession) -> str:
    """Why no result can be shown yet, or "": organisers see a result before it is published
    once rating is over or while it runs (a preview during rating shows how far the count has
    got; lifecycle.can_preview_result)."""
    if lifecycle.can_preview_result(session):
        return ""
    return _("评议会状态为“%(status)s”：开始评议后才能预览结果。") % {
        "status": session.get_status_display()
    }


# ---------------------------------------------------------------- results


def _table_columns(doc: document.ResultDocument) -> dict:
    """Which optional columns the category tables have."""
    return {
        "extra_components": [(k, label) for k, label in doc.components if k != "review"],
        "show_bonus": any(row.bonus is not None for row in doc.rows()),
    }


def _results_page(request, session: ReviewSession, **extra):
    """The results page; ``extra`` opens a panel on it (sensitivity, verification) for a
    browser without htmx."""
    organiser = can_organise(request.user, session.district_id)
    refusal = _preview_refusal(session) if organiser else ""
    context = supervision_context(request, session, refusal=refusal, **extra)
    if not refusal:
        doc = document.build(session)
        context.update(
            doc=doc,
            participation_rows=doc.participation[:-1],
            participation_total=doc.participation[-1],
            snapshots=selectors.snapshots(session),
            can_publish=organiser
            and doc.preview
            and lifecycle.can_publish(session)
            and not session.in_rehearsal,
            can_correct=organiser and not doc.preview,
            can_verify=not doc.preview and can_supervise(request.user, session.district_id),
            **_table_columns(doc),
        )
    return render(request, "scoring/results.html", context)


@login_required
@require_GET
def results(request, slug):
    session = _get_session_for_results(request, slug)
    return _results_page(request, session)


@login_required
@require_GET
def sensitivity(request, slug):
    """The sensitivity panel, loaded on demand: it computes the result about 15 times."""
    session = get_session_for_user(request, slug, organise=True)
    refusal = _preview_refusal(session)
    panel: dict = {"sensitivity_refusal": refusal}
    if not refusal:
        computed = services.compute(session)
        variants, rows = services.sensitivity(computed)
        panel.update(_sensitivity_matrix(computed, variants, rows))
    if request.htmx:
        return render(
            request,
            "scoring/results.html#sensitivity-panel",
            supervision_context(request, session, **panel),
        )
    return _results_page(request, session, sensitivity_open=True, **panel)


def _sensitivity_columns(computed: services.Computed, variants) -> tuple[list, list]:
    """The matrix's columns under a two-row header, to keep it narrow on a tablet: the other
    mean; then every group's weight +10, every group's −10, every group left out (the group
    names on the second row). A variant of another kind gets a column of its own."""
    names = {g.key: g.name for g in computed.inputs.groups}
    headings = {
        "+1": _("权重 +10"),
        "-1": _("权重 −10"),
        "without": _("不计该组"),
    }
    buckets: dict[str, list] = {"mean": [], "+1": [], "-1": [], "without": [], "other": []}
    for variant in variants:
        kind, _sep, rest = variant.key.partition(":")
        group, _sep, sign = rest.partition(":")
        if kind == "weight" and sign in ("+1", "-1") and group in names:
            buckets[sign].append((variant, names[group]))
        elif kind == "without" and group in names:
            buckets["without"].append((variant, names[group]))
        elif kind == "mean":
            buckets["mean"].append((variant, variant.label))
        else:
            buckets["other"].append((variant, variant.label))
    columns, header = [], []
    for bucket in ("mean", "+1", "-1", "without", "other"):
        entries = buckets[bucket]
        if not entries:
            continue
        if bucket in headings:
            header.append({"label": headings[bucket], "span": len(entries)})
        else:
            # A column whose own label is the heading: it spans both header rows.
            header += [{"label": label, "span": 1, "single": True} for _v, label in entries]
        columns += [
            {"variant": variant, "label": label, "single": bucket not in headings}
            for variant, label in entries
        ]
    return columns, header


def _sensitivity_matrix(computed: services.Computed, variants, rows) -> dict:
    """Units × variants, per category; a cell holds the new rank and band only where one of
    them changes."""
    band_labels = document.BAND_LABELS
    columns, header = _sensitivity_columns(computed, variants)
    by_unit = {row.unit: row for row in rows}
    categories = []
    for category in computed.result.categories:
        if not category.rows:
            continue  # a category without participants has nothing to compare
        lines = []
        for result_row in category.rows:
            unit = by_unit[result_row.unit]
            cells = []
            for column in columns:
                variant = column["variant"]
                cell = {"title": variant.label, "state": "same"}
                if variant.result is None:
                    cell["state"] = "na"
                elif variant.key in unit.changes:
                    rank, band = unit.changes[variant.key]
                    cell.update(
                        state="changed",
                        rank=rank,
                        band=str(band_labels[band]) if band else None,
                        rank_changed=rank != unit.rank,
                        band_changed=band != unit.band,
                    )
                cells.append(cell)
            lines.append(
                {
                    "name": unit.name,
                    "rank": unit.rank,
                    "band": str(band_labels[unit.band]) if unit.band else None,
                    "cells": cells,
                    "stable": not unit.changes,
                }
            )
        categories.append({"name": category.name, "lines": lines})
    return {
        "sensitivity_columns": columns,
        "sensitivity_header": header,
        "sensitivity_categories": categories,
        "unstable_count": sum(1 for row in rows if row.changes),
        "unit_count": len(rows),
    }


@login_required
@require_GET
def verify(request, slug):
    """核验: recompute from the stored inputs and compare with the published snapshot."""
    session = _get_session_for_supervision(request, slug)
    verification = services.result_verify(session=session)
    if request.htmx:
        return render(
            request,
            "scoring/results.html#verify-panel",
            supervision_context(request, session, verification=verification),
        )
    return _results_page(request, session, verification=verification)


# ---------------------------------------------------------------- publish and correct


class PublishForm(forms.Form):
    # The hash the confirmation page showed: what is frozen must be what was confirmed.
    inputs_hash = forms.CharField(max_length=64, widget=forms.HiddenInput)


class _InputsChanged(Exception):
    pass


def _publish_problem(session: ReviewSession) -> str:
    if session.in_rehearsal:
        return _("正在彩排：彩排数据不计入结果，不能发布。请结束彩排并恢复后在正式评议结束时发布。")
    if lifecycle.is_published(session) or selectors.current_snapshot(session) is not None:
        return _("结果已经发布，不能再次发布；如需更正，请使用“更正结果”并写明理由。")
    if not lifecycle.can_publish(session):
        return _("只有评议已结束的评议会才能发布结果；当前状态：%(status)s。") % {
            "status": session.get_status_display()
        }
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def publish(request, slug):
    """GET: what will be frozen, and that it is final. POST: services.result_publish."""
    session = get_session_for_user(request, slug, organise=True)
    problem, status = "", 200
    if request.method == "POST":
        form = PublishForm(request.POST)
        try:
            with transaction.atomic():
                services.result_publish(session=session, actor=request.user)
                confirmed = form.cleaned_data["inputs_hash"] if form.is_valid() else ""
                latest = selectors.current_snapshot(session)
                if latest.inputs_hash != confirmed:
                    raise _InputsChanged
        except ValidationError as exc:
            problem, status = " ".join(exc.messages), 409
        except _InputsChanged:
            problem = _(
                "确认之后输入数据发生了变化（评议票或其他考核得分），没有发布。请核对下面的最新数字后重新确认。"
            )
            status = 409
        else:
            messages.success(request, _("评议结果已发布（第 1 版）。"))
            return redirect("scoring:results", slug)
        session.refresh_from_db()
    refusal = _publish_problem(session)
    context = supervision_context(
        request, session, problem=problem or refusal, refused=bool(refusal)
    )
    if not refusal:
        doc = document.build(session)
        context.update(
            doc=doc,
            form=PublishForm(initial={"inputs_hash": doc.inputs_hash}),
            categories=doc.categories,
            category_count=len(doc.categories),
            unit_count=sum(c.unit_count for c in doc.categories),
            ranked_count=sum(1 for row in doc.rows() if row.rank is not None),
            flagged_count=len(doc.flagged_ballots),
        )
    return render(request, "scoring/publish.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def correct(request, slug):
    """更正: a new snapshot from the inputs as they are now, with a written reason."""
    session = get_session_for_user(request, slug, organise=True)
    published = lifecycle.is_published(session)
    form = CorrectionForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not published:
            status = 409
        elif not form.is_valid():
            status = 422
        else:
            try:
                snapshot = services.result_correct(
                    session=session, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
                status = 422
            else:
                messages.success(
                    request, _("已发布更正后的结果（第 %(n)s 版）。") % {"n": snapshot.number}
                )
                return redirect("scoring:results", slug)
    return render(
        request,
        "scoring/correct.html",
        supervision_context(
            request,
            session,
            form=form,
            published=published,
            current=selectors.current_snapshot(session),
        ),
        status=status,
    )


# ---------------------------------------------------------------- report card


@login_required
@require_GET
def report_card(request, slug, unit_id):
    session = _get_session_for_results(request, slug)
    refusal = _preview_refusal(session) if can_organise(request.user, session.district_id) else ""
    if refusal:
        return _results_page(request, session)
    doc = document.build(session)
    try:
        row = doc.row(str(unit_id))
    except KeyError:
        raise Http404(_("这个单位没有参加本评议会。")) from None
    category = next(c for c in doc.categories if any(r.unit == row.unit for r in c.rows))
    return render(
        request,
        "scoring/report_card.html",
        supervision_context(
            request,
            session,
            doc=doc,
            row=row,
            category=category,
            grade_columns=[(key, str(label)) for key, label in document.GRADE_COLUMNS],
            extra_components=[(k, label) for k, label in doc.components if k != "review"],
            rank_up=row.rank_change if (row.rank_change or 0) > 0 else None,
            rank_down=-row.rank_change if (row.rank_change or 0) < 0 else None,
        ),
    )


# ---------------------------------------------------------------- downloads


def _download_refusal(request, session: ReviewSession) -> HttpResponse | None:
    """409 for an organiser while no result can be shown yet; every download checks it after
    _get_session_for_results, the PDF made off the request on each of its views too
    (scoring/views_pdf.py)."""
    refusal = _preview_refusal(session) if can_organise(request.user, session.district_id) else ""
    if refusal:
        return HttpResponse(refusal, status=409, content_type="text/plain; charset=utf-8")
    return None


def _export(request, slug, *, fmt: str):
    session = _get_session_for_results(request, slug)
    refusal = _download_refusal(request, session)
    if refusal:
        return refusal
    # These two take a few tenths of a second; the working copy with its report cards takes
    # longer and is made off the request (scoring/views_pdf.py; docs/results.md). Imported when
    # a file is asked for: the PDF exporter loads WeasyPrint, which every other request would
    # otherwise pay for at start-up.
    if fmt == "xlsx":
        from .exports.xlsx import render as render_file
    else:
        from .exports.official import render as render_file
    doc = document.build(session)
    body = render_file(doc)
    if fmt == "notice":
        name = _("评议结果通报") if not doc.preview else _("评议结果通报-预览")
    else:
        name = _("评议结果") if not doc.preview else _("评议结果-预览")
    extension = "xlsx" if fmt == "xlsx" else "pdf"
    response = HttpResponse(body, content_type=XLSX_TYPE if fmt == "xlsx" else PDF_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{name}-{session.slug}.{extension}"
    )
    token = request.GET.get("download_token", "")
    if DOWNLOAD_TOKEN.fullmatch(token):
        # Tells the page that asked (static/js/download.js) that the file has started, so it
        # stops showing progress. Read by that script, hence not HttpOnly; it names nothing.
        response.set_cookie(
            DOWNLOAD_COOKIE, token, max_age=60, samesite="Lax", secure=request.is_secure()
        )
    return response


@login_required
@require_GET
def export_xlsx(request, slug):
    return _export(request, slug, fmt="xlsx")


@login_required
@require_GET
def export_official_pdf(request, slug):
    """The 通报 in official-document format (GB/T 9704-2012), beside the working copy of
    views_pdf.export_pdf (docs/results.md, "通报 (official format)")."""
    return _export(request, slug, fmt="notice")


# ---------------------------------------------------------------- 其他考核


@dataclass
class ScoreLine:
    unit: Unit
    score: ExternalScore | None
    comment: LeaderComment | None


def _score_lines(session: ReviewSession) -> list[ScoreLine]:
    """Every participating unit in speaking order with its 其他考核 and 书面点评 (3 queries)."""
    scores = {e.unit_id: e for e in ExternalScore.objects.filter(session=session)}
    comments = {c.unit_id: c for c in LeaderComment.objects.filter(session=session)}
    participants = session.participants.select_related("unit__category", "unit__org_unit").order_by(
        "speaking_order", "id"
    )
    return [ScoreLine(p.unit, scores.get(p.unit_id), comments.get(p.unit_id)) for p in participants]


def _score_line(session: ReviewSession, unit_id: int) -> ScoreLine:
    participant = get_object_or_404(
        session.participants.select_related("unit__category", "unit__org_unit"), unit_id=unit_id
    )
    unit = participant.unit
    return ScoreLine(
        unit,
        ExternalScore.objects.filter(session=session, unit=unit).first(),
        LeaderComment.objects.filter(session=session, unit=unit).first(),
    )


def _components_in_words(session: ReviewSession) -> str:
    scheme = session.scheme
    parts = [
        _("%(label)s %(weight)s%%") % {"label": label, "weight": number(getattr(scheme, field))}
        for field, label in component_labels()
        if getattr(scheme, field) > 0
    ]
    return "、".join(parts)


def _scores_page(request, session, *, upload_form=None, problems=(), summary=None, status=200):
    context = supervision_context(
        request,
        session,
        lines=_score_lines(session),
        upload_form=upload_form or ScoresUploadForm(),
        problems=list(problems),
        summary=summary,
        components=_components_in_words(session),
        apply_bonus=session.scheme.apply_bonus,
        published=lifecycle.is_published(session),
    )
    template = "scoring/scores.html"
    if request.htmx:
        template += "#scores-panel"
    return render(request, template, context, status=status)


@login_required
@require_GET
def scores(request, slug):
    session = _get_session_for_scores(request, slug)
    return _scores_page(request, session)


@login_required
@require_GET
def score_row(request, slug, unit_id):
    """One row as it reads (the 取消 of an inline edit)."""
    session = _get_session_for_scores(request, slug)
    line = _score_line(session, unit_id)
    if not request.htmx:
        return redirect("scoring:scores", slug)
    return render(
        request, "scoring/scores.html#score-row", supervision_context(request, session, line=line)
    )


def _row_initial(line: ScoreLine) -> dict:
    score, comment = line.score, line.comment
    return {
        "target": score.target if score else None,
        "daily": score.daily if score else None,
        "bonus": score.bonus if score and score.bonus else None,
        "bonus_reason": score.bonus_reason if score else "",
        "comment_author": comment.author if comment else "",
        "comment_text": comment.text if comment else "",
        "comment_score": comment.score if comment else None,
    }


def _save_row(session: ReviewSession, line: ScoreLine, data: dict, actor) -> None:
    """Only what changed is written, so that the audit log lists real changes."""
    before = _row_initial(line)
    bonus = data["bonus"] or None
    score_fields = {
        "target": data["target"],
        "daily": data["daily"],
        "bonus": bonus,
        "bonus_reason": data["bonus_reason"].strip(),
    }
    score_changed = any(before[k] != v for k, v in score_fields.items())
    filled = any(value not in (None, "") for value in score_fields.values())
    if score_changed and (line.score is not None or filled):
        services.external_score_save(
            session=session,
            unit=line.unit,
            actor=actor,
            target=data["target"],
            daily=data["daily"],
            bonus=data["bonus"] or Decimal("0"),
            bonus_reason=data["bonus_reason"],
        )
    comment_fields = {
        "comment_author": data["comment_author"].strip(),
        "comment_text": data["comment_text"].strip(),
        "comment_score": data["comment_score"],
    }
    if data["wants_comment"] and any(before[k] != v for k, v in comment_fields.items()):
        services.leader_comment_save(
            session=session,
            unit=line.unit,
            actor=actor,
            author=data["comment_author"],
            text=data["comment_text"],
            score=data["comment_score"],
        )


@login_required
@require_http_methods(["GET", "POST"])
def score_edit(request, slug, unit_id):
    """One unit's 其他考核 and 书面点评: an inline row with htmx, a page without."""
    session = _get_session_for_scores(request, slug, organise=True)
    line = _score_line(session, unit_id)
    form = ScoreRowForm(
        request.POST if request.method == "POST" else None,
        initial=_row_initial(line),
        comment_exists=line.comment is not None,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                with transaction.atomic():
                    _save_row(session, line, form.cleaned_data, request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                if not request.htmx:
                    messages.success(request, _("已保存“%(name)s”。") % {"name": line.unit.name})
                    return redirect("scoring:scores", slug)
                line = _score_line(session, unit_id)
                return render(
                    request,
                    "scoring/scores.html#score-row",
                    supervision_context(request, session, line=line, saved=True),
                )
    context = supervision_context(request, session, line=line, form=form)
    if request.htmx:
        return render(request, "scoring/scores.html#score-edit-row", context, status=status)
    return render(request, "scoring/score_edit.html", context, status=status)


@login_required
@require_POST
def scores_import(request, slug):
    """The 其他考核 workbook, all or nothing; the page shows what was imported."""
    session = _get_session_for_scores(request, slug, organise=True)
    form = ScoresUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _scores_page(request, session, upload_form=form, status=422)
    try:
        rows = imports.parse_scores_workbook(form.cleaned_data["file"], session=session)
        summary = imports.external_scores_import(session=session, actor=request.user, rows=rows)
    except ValidationError as exc:
        return _scores_page(request, session, problems=problems_of(exc), status=422)
    return _scores_page(request, session, summary=summary)


@login_required
@require_GET
def scores_template(request, slug):
    session = _get_session_for_scores(request, slug, organise=True)
    response = HttpResponse(imports.scores_template_bytes(session), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_("其他考核-%(slug)s.xlsx") % {"slug": session.slug}
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def scores_targets(request, slug):
    """从目标管理取目标考核得分. GET: each unit's annual score in target management beside its
    目标考核 now; POST (from that page): services.external_targets_fill."""
    session = _get_session_for_scores(request, slug, organise=True)
    if request.method == "POST":
        form = TargetsFillForm(request.POST)
        if form.is_valid():
            summary = services.external_targets_fill(session=session, actor=request.user)
            messages.success(
                request,
                _(
                    "已从目标管理取得 %(filled)s 个单位的目标考核得分（%(changed)s 个有变化）；"
                    "%(without)s 个单位没有目标，保持不变。"
                )
                % {
                    "filled": len(summary["filled"]),
                    "changed": summary["changed"],
                    "without": len(summary["without_targets"]),
                },
            )
            return redirect("scoring:scores", slug)
    lines = selectors.targets_fill_preview(session)
    return render(
        request,
        "scoring/scores_targets.html",
        supervision_context(
            request,
            session,
            lines=lines,
            form=TargetsFillForm(initial={"confirm": True}),
            fillable=sum(1 for line in lines if line.annual is not None),
            changing=sum(1 for line in lines if line.changes),
            published=lifecycle.is_published(session),
        ),
    )
