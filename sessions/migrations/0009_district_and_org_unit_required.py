"""Districts and persistent units, step 3 of 3: every session has its district and every unit
its OrgUnit (0008 filled them), so both become required. A session made without naming a
district gets the installation's (sessions.services.session_create)."""

import django.db.models.deletion
from django.db import migrations, models



class Migration(migrations.Migration):
    dependencies = [
        ("review", "0008_link_districts_and_org_units"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reviewsession",
            name="district",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sessions",
                to="org.district",
                verbose_name="区（县）",
            ),
        ),
        migrations.AlterField(
            model_name="unit",
            name="org_unit",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="session_units",
                to="org.orgunit",
                verbose_name="单位（常设）",
            ),
        ),
        migrations.AddConstraint(
            model_name="ratergroup",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_leaders", True)),
                fields=("session",),
                name="one_leaders_group",
            ),
        ),
    ]
