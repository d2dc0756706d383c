"""Indexes for the two search-box conditions that had none (audit.selectors.audit_search_q): the
request id (partial: only rows that have one) and the actor's name by its beginning. Built
CONCURRENTLY: the audit table takes a row for every journal, login and webhook, and a plain
CREATE INDEX would block those writes for as long as the build takes. Then ANALYZE, for the new
expression's statistics."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0004_search_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(condition=models.Q(("request_id", ""), _negated=True), fields=["request_id"],
                               name="audit_request_id_idx"),
        ),
        AddIndexConcurrently(
            model_name="auditevent",
            index=models.Index(django.contrib.postgres.indexes.OpClass(
                django.db.models.functions.text.Upper("actor_name"), name="text_pattern_ops"),
                name="audit_actor_name_prefix_idx"),
        ),
        # Statistics for the new expression (upper(actor_name)): without them the planner misjudges the
        # OR and scans the table until the next ANALYZE. ANALYZE samples rows: seconds, not a full pass.
        migrations.RunSQL("ANALYZE audit_auditevent", migrations.RunSQL.noop),
    ]
