"""Every staff action in the admin becomes an audit record, in the same transaction as the change.

    class PaymentAdmin(AuditedAdminMixin, admin.ModelAdmin):
        actions = ["retry"]

        @audited_action("admin.payments.deposit.requery")   # optional: a specific action code
        @admin.action(description="Re-query with Monnify")
        def retry(self, request, queryset): ...

Add, change and delete are recorded from the ModelAdmin's log hooks (which Django calls inside
the transaction of the change; deletions before the delete): `admin.<app>.<model>.added`,
`.changed` (with before and after snapshots), `.deleted` (with the last snapshot). Every admin
action, whether decorated or not, is recorded as `admin.<app>.<model>.action.<name>` (or its
`audited_action` code) with the selected ids, and runs in one transaction with its record.
`delete_selected` is recorded per object by the deletion hook instead.

Snapshots are the model's concrete fields and many-to-many ids; secrets in them (password
hashes, PIN hashes) are redacted by `audit_record` like any payload.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.admin.actions import delete_selected
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router, transaction

from .services import Actor, audit_record

_REFERENCE_ATTRS = ("reference", "public_id", "transaction_reference", "payment_reference", "journal_reference")
_MAX_IDS_IN_PAYLOAD = 1000


def model_snapshot(obj: models.Model) -> dict[str, Any]:
    """Concrete field values (by attname, so foreign keys are ids) and many-to-many ids."""
    encoder = DjangoJSONEncoder()
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = field.value_from_object(obj)
        try:
            encoder.encode(value)
        except TypeError:
            value = str(value)
        data[field.attname] = value
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            data[field.name] = sorted(str(pk) for pk in getattr(obj, field.name).values_list("pk", flat=True))
    return data


def object_references(obj: models.Model) -> list[str]:
    refs = [str(obj.pk)] if obj.pk is not None else []
    for attr in _REFERENCE_ATTRS:
        value = getattr(obj, attr, None)
        if value not in (None, ""):
            refs.append(str(value))
    return refs


def _code(opts, verb: str) -> str:
    return f"admin.{opts.app_label}.{opts.model_name}.{verb}"


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))


def _changed_fields(before: dict | None, after: dict) -> list[str]:
    if before is None:
        return []
    return sorted(key for key in after if before.get(key) != after.get(key))


def _record_action(code: str, modeladmin, request, queryset, func_name: str) -> None:
    ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[: _MAX_IDS_IN_PAYLOAD + 1]]
    truncated = len(ids) > _MAX_IDS_IN_PAYLOAD
    ids = ids[:_MAX_IDS_IN_PAYLOAD]
    audit_record(
        action=code,
        actor=Actor.of_user(request.user),
        subject=(modeladmin.model._meta.label, ""),
        references=ids,
        payload={"admin_action": func_name, "object_ids": ids, "ids_truncated": truncated,
                 "select_across": request.POST.get("select_across") == "1"},
    )


def audited_action(code: str) -> Callable:
    """Decorate an admin action function so that it runs in one transaction with an audit record
    `code` listing the selected objects. (AuditedAdminMixin records undecorated actions too,
    under a default code.)"""

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(modeladmin, request, queryset):
            with transaction.atomic(using=router.db_for_write(modeladmin.model)):
                _record_action(code, modeladmin, request, queryset, func.__name__)
                return func(modeladmin, request, queryset)

        wrapper.audit_code = code  # type: ignore[attr-defined]
        return wrapper

    return decorator


class AuditedAdminMixin:
    """Put first in the bases: `class XAdmin(AuditedAdminMixin, admin.ModelAdmin)`."""

    def _audit_before(self, request) -> dict:
        if not hasattr(request, "_audit_before"):
            request._audit_before = {}
        return request._audit_before

    def save_model(self, request, obj, form, change):
        if change and obj.pk is not None:
            # The form has already applied its changes to `obj`; the database still has the old row.
            current = type(obj)._default_manager.filter(pk=obj.pk).first()
            if current is not None:
                self._audit_before(request)[(obj._meta.label, str(obj.pk))] = model_snapshot(current)
        return super().save_model(request, obj, form, change)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        audit_record(action=_code(obj._meta, "added"), actor=Actor.of_user(request.user), subject=obj,
                     references=object_references(obj),
                     payload={"after": model_snapshot(obj), "message": _jsonable(message)})
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        before = self._audit_before(request).pop((obj._meta.label, str(obj.pk)), None)
        after = model_snapshot(obj)
        audit_record(action=_code(obj._meta, "changed"), actor=Actor.of_user(request.user), subject=obj,
                     references=object_references(obj),
                     payload={"before": before, "after": after, "changed_fields": _changed_fields(before, after),
                              "message": _jsonable(message)})
        return entry

    def log_deletions(self, request, queryset: Iterable[models.Model]):
        objects = list(queryset)
        entries = super().log_deletions(request, objects)
        for obj in objects:
            audit_record(action=_code(obj._meta, "deleted"), actor=Actor.of_user(request.user), subject=obj,
                         references=object_references(obj), payload={"before": model_snapshot(obj)})
        return entries

    def get_actions(self, request):
        actions = super().get_actions(request)
        wrapped = {}
        for name, (func, action_name, description) in actions.items():
            if func is delete_selected or getattr(func, "audit_code", None):
                wrapped[name] = (func, action_name, description)
            else:
                audited = audited_action(_code(self.model._meta, f"action.{action_name}"))(func)
                wrapped[name] = (audited, action_name, description)
        return wrapped

    def response_action(self, request, queryset):
        # delete_selected logs its deletions and then deletes: one transaction, so a failed
        # delete leaves no record of a deletion that did not happen.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().response_action(request, queryset)
