"""The project's URLs plus a second admin site whose User admin has two actions, one decorated
with `audited_action` and one not, to test how the mixin records admin actions."""

from django.contrib import admin
from django.urls import path

from audit.admin_mixins import audited_action
from cozonpay.urls import urlpatterns as project_urlpatterns
from cozonpay.users.admin import UserAdmin
from cozonpay.users.models import User


class UserWithActionsAdmin(UserAdmin):
    actions = ["reset_kyc_tier", "deactivate", "fail_halfway"]

    @audited_action("admin.users.user.kyc_reset")
    @admin.action(description="Reset the KYC tier")
    def reset_kyc_tier(self, request, queryset):
        queryset.update(kyc_tier=0)

    @admin.action(description="Deactivate")
    def deactivate(self, request, queryset):
        queryset.update(is_active=False)

    @admin.action(description="Fails after changing")
    def fail_halfway(self, request, queryset):
        queryset.update(is_active=False)
        raise RuntimeError("the action failed")


site = admin.AdminSite(name="test_admin")
site.register(User, UserWithActionsAdmin)

urlpatterns = [path("test-admin/", site.urls), *project_urlpatterns]
