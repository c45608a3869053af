"""A question keeps the words it was asked in (原文) beside the wording the hall sees, and
records when it first went on the big screen (its wording is fixed from then on).

Existing questions are carried forward: their text becomes their 原文 (nothing was edited
before this field existed), and a question is marked as shown when the audit log says it was
put on the screen (or had its vote opened), when a big screen shows it now, or when it was
answered on stage.
"""

from django.db import migrations, models

SHOWN_ACTIONS = ("question.screen", "question.vote_open")


def carry_forward(apps, schema_editor):
    Question = apps.get_model("meeting", "Question")
    Stage = apps.get_model("meeting", "Stage")
    AuditLog = apps.get_model("review", "AuditLog")
    first_shown: dict[int, object] = {}

    def seen(question_id, when):
        if question_id is None or when is None:
            return
        if question_id not in first_shown or when < first_shown[question_id]:
            first_shown[question_id] = when

    for detail, created_at in AuditLog.objects.filter(action__in=SHOWN_ACTIONS).values_list(
        "detail", "created_at"
    ):
        question_id = detail.get("question") if isinstance(detail, dict) else None
        seen(question_id if isinstance(question_id, int) else None, created_at)
    for question_id, updated_at in Stage.objects.filter(
        question_on_screen__isnull=False
    ).values_list("question_on_screen_id", "updated_at"):
        seen(question_id, updated_at)
    for question_id, answered_at in Question.objects.filter(answered_at__isnull=False).values_list(
        "pk", "answered_at"
    ):
        seen(question_id, answered_at)

    questions = list(Question.objects.only("pk", "text"))
    for question in questions:
        question.original_text = question.text
        question.shown_at = first_shown.get(question.pk)
    Question.objects.bulk_update(questions, ["original_text", "shown_at"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("meeting", "0001_initial"),
        ("review", "0003_ratergroup_can_ask"),
    ]

    operations = [
        migrations.AddField(
            model_name="question",
            name="original_text",
            field=models.TextField(blank=True, max_length=500, verbose_name="原文"),
        ),
        migrations.AddField(
            model_name="question",
            name="shown_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(carry_forward, migrations.RunPython.noop),
    ]
