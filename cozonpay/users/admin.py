from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from audit.admin_mixins import AuditedAdminMixin

from .models import User


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    ordering = ("-created_at",)
    list_display = ("email", "first_name", "last_name", "phone_number", "kyc_tier", "is_staff", "created_at")
    list_filter = ("kyc_tier", "is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name", "phone_number")
    readonly_fields = ("id", "created_at", "last_login", "bvn_last4", "nin_last4", "kyc_verified_at",
                       "pin_failed_attempts", "pin_locked_until")
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "phone_number")}),
        ("KYC", {"fields": ("kyc_tier", "bvn_last4", "nin_last4", "kyc_verified_at")}),
        ("PIN", {"fields": ("pin_failed_attempts", "pin_locked_until")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "created_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "first_name", "last_name", "password1", "password2")}),
    )
