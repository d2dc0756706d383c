"""Shared django-fsm helpers."""

from django_fsm import FSMField


class ProtectedStateRefreshMixin:
    """A protected FSMField refuses direct assignment, which also breaks `refresh_from_db()`.
    Reloading from the database is not a transition, so let it through."""

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        for field in self._meta.concrete_fields:
            if isinstance(field, FSMField) and field.protected and (fields is None or field.name in fields):
                self.__dict__.pop(field.attname, None)
        return super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
