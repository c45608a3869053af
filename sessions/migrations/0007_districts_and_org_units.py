"""Districts and persistent units (docs/design.md, "District", "OrgUnit"), step 1 of 3: the new
columns, empty. 0008 fills them from what the database holds; 0009 makes them required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0001_initial"),
        ("review", "0006_rehearsal"),
    ]

    operations = [
        migrations.AddField(
            model_name="ratergroup",
            name="is_leaders",
            field=models.BooleanField(default=False, verbose_name="县级领导组（同分比较）"),
        ),
        migrations.AddField(
            model_name="reviewsession",
            name="district",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sessions",
                to="org.district",
                verbose_name="区（县）",
            ),
        ),
        migrations.AddField(
            model_name="unit",
            name="org_unit",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="session_units",
                to="org.orgunit",
                verbose_name="单位（常设）",
            ),
        ),
    ]
