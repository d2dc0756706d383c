"""Staff roles: the groups *Support* and *Finance* and exactly what each may do.

Support reads everything in the back office (every `view_*` permission of our apps), freezes and
unfreezes wallets, opens and annotates disputes (and moves them to investigating), retries dead
letters and replays webhooks. Finance has all of that, plus what moves or settles money:
resolving disputes (with money or without) and rejecting them, proposing and approving manual
adjustments (maker-checker: never one's own), authorizing payouts, discarding dead letters,
resolving reconciliation discrepancies and running a reconciliation on demand.

A staff user in neither group sees nothing (Django's admin shows no app); a superuser has every
permission, but maker-checker still refuses to let anyone approve their own adjustment.

The groups are created by the data migration `users/0002_staff_roles`, which calls
`sync_staff_roles`; the same function runs after every `migrate` (UsersConfig.ready) so that a
model added later (e.g. Withdrawal) is readable by both roles without another data migration. It
only adds permissions: a grant made by hand is never taken away.
"""

from __future__ import annotations

SUPPORT = "Support"
FINANCE = "Finance"

READ_APPS = ("users", "wallets", "payments", "webhooks", "audit")

SUPPORT_PERMISSIONS = (
    "wallets.freeze_ledgeraccount",
    "payments.retry_handlerrun",
    "webhooks.replay_webhookevent",
    "payments.add_dispute",
    "payments.annotate_dispute",
)

FINANCE_PERMISSIONS = (
    *SUPPORT_PERMISSIONS,
    "payments.discard_handlerrun",
    "payments.resolve_dispute",
    "payments.resolve_dispute_with_money",
    "wallets.add_adjustment",
    "wallets.approve_adjustment",
    "payments.authorize_payout",
    "payments.refund_payment",
    "payments.resolve_discrepancy",
    "payments.run_reconciliation",
)

ROLE_PERMISSIONS = {SUPPORT: SUPPORT_PERMISSIONS, FINANCE: FINANCE_PERMISSIONS}

# Permissions whose model may not exist yet: created on the content type the model will have, so
# the model's own `Meta.permissions` (same codename) finds and reuses it when it arrives.
PLACEHOLDER_PERMISSIONS = {
    "payments.authorize_payout": ("withdrawal", "Can authorize payouts (withdrawals awaiting approval)"),
    "payments.refund_payment": ("refund", "Can refund customer payments through Monnify"),
}


def sync_staff_roles(apps=None, using: str = "default", verbosity: int = 0) -> None:
    """Create the groups and add their permissions (idempotent, additive)."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")

    for label, (model, name) in PLACEHOLDER_PERMISSIONS.items():
        app_label, codename = label.split(".")
        content_type, _ = ContentType.objects.using(using).get_or_create(app_label=app_label, model=model)
        Permission.objects.using(using).get_or_create(content_type=content_type, codename=codename,
                                                      defaults={"name": name})

    view = list(Permission.objects.using(using).filter(content_type__app_label__in=READ_APPS,
                                                       codename__startswith="view_"))
    for role, labels in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = list(view)
        for label in labels:
            app_label, codename = label.split(".")
            wanted += list(Permission.objects.using(using).filter(content_type__app_label=app_label,
                                                                  codename=codename))
        group.permissions.add(*wanted)


def post_migrate_sync(sender, using="default", verbosity=0, **kwargs) -> None:
    """post_migrate receiver. `migrate` (and a test's flush) sends post_migrate once per app, and
    Django creates each app's permissions on its own signal, so sync once, after the last app."""
    from django.apps import apps as global_apps

    with_models = [config for config in global_apps.get_app_configs() if config.models_module is not None]
    if with_models and sender is with_models[-1]:
        sync_staff_roles(using=using, verbosity=verbosity)
