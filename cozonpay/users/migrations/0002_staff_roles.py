"""The staff groups Support and Finance with their permissions (cozonpay/users/roles.py says what
each may do and why). Permissions are normally created after `migrate` finishes; they are created
here first so that the groups get them in this migration."""

from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.db import migrations


def create_roles(apps, schema_editor):
    from cozonpay.users.roles import sync_staff_roles

    using = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_contenttypes(app_config, verbosity=0, using=using, apps=apps)
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
        app_config.models_module = None
    sync_staff_roles(apps=apps, using=using)


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Support", "Finance"]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("users", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("audit", "0003_immutability_triggers"),
        ("wallets", "0005_adjustment"),
        ("payments", "0005_disputes_reconciliation"),
        ("webhooks", "0002_webhookevent_permissions"),
    ]

    operations = [
        migrations.RunPython(create_roles, drop_roles),
    ]
