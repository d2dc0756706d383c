from django.apps import AppConfig
from django.db.models.signals import post_migrate


class UsersConfig(AppConfig):
    name = "cozonpay.users"
    label = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        from .roles import post_migrate_sync

        # Keeps the staff roles complete when models are added later (cozonpay/users/roles.py).
        post_migrate.connect(post_migrate_sync, dispatch_uid="users.sync_staff_roles")
