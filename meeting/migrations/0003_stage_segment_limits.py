"""Each segment (述职 / 述责 / 述廉) has its own time limit, kept on the session's Stage.

Existing stages are carried forward: a segment's limit becomes the one its agenda items were
generated with (the most common, for items edited one by one since), or the template's default
for the session's kind when the agenda has no item of that segment. Items keep their own limits
untouched.
"""

from collections import Counter

from django.db import migrations, models

# The values of meeting/stage.py SEGMENT_LIMIT_DEFAULTS when this migration was written.
DEFAULTS = {
    "annual": {"work": 480, "responsibility": 300, "integrity": 180},
    "midyear": {"work": 600, "responsibility": 300, "integrity": 180},
    "custom": {"work": 300, "responsibility": 300, "integrity": 300},
}
FIELDS = {
    "work": "work_limit_seconds",
    "responsibility": "responsibility_limit_seconds",
    "integrity": "integrity_limit_seconds",
}


def carry_forward(apps, schema_editor):
    Stage = apps.get_model("meeting", "Stage")
    AgendaItem = apps.get_model("meeting", "AgendaItem")
    for stage in Stage.objects.select_related("session"):
        defaults = DEFAULTS.get(stage.session.kind, DEFAULTS["custom"])
        for segment, field in FIELDS.items():
            limits = Counter(
                AgendaItem.objects.filter(
                    session_id=stage.session_id, segment=segment, participant__isnull=False
                ).values_list("limit_seconds", flat=True)
            )
            # Most common first; among equals the longer, so nobody's time is cut.
            best = max(limits.items(), key=lambda kv: (kv[1], kv[0]))[0] if limits else None
            setattr(stage, field, best or defaults[segment])
        stage.save(update_fields=list(FIELDS.values()))


class Migration(migrations.Migration):
    dependencies = [
        ("meeting", "0002_question_original_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="stage",
            name="integrity_limit_seconds",
            field=models.PositiveIntegerField(default=300, verbose_name="述廉限时（秒）"),
        ),
        migrations.AddField(
            model_name="stage",
            name="responsibility_limit_seconds",
            field=models.PositiveIntegerField(default=300, verbose_name="述责限时（秒）"),
        ),
        migrations.AddField(
            model_name="stage",
            name="work_limit_seconds",
            field=models.PositiveIntegerField(default=300, verbose_name="述职限时（秒）"),
        ),
        migrations.RunPython(carry_forward, migrations.RunPython.noop),
    ]
