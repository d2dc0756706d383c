"""Cursor pagination as API.md describes: ?cursor=...&page_size=N (N <= 100)."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")


# --- Helpers for APIViews (one view per operation) -------------------------------------------------

from drf_spectacular.types import OpenApiTypes  # noqa: E402
from drf_spectacular.utils import OpenApiParameter, extend_schema_serializer  # noqa: E402
from rest_framework import serializers  # noqa: E402
from rest_framework.utils.urls import replace_query_param  # noqa: E402

CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                     description="The opaque cursor of the `next` or `previous` link of a page."),
    OpenApiParameter("page_size", OpenApiTypes.INT, OpenApiParameter.QUERY, required=False,
                     description="Results per page, 1 to 100 (default 20)."),
]


def paginated_serializer(child: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The `{next, previous, results}` page of API.md, as a named schema component."""
    cls = type(name, (serializers.Serializer,), {
        "next": serializers.URLField(allow_null=True, help_text="The next (older) page, or null"),
        "previous": serializers.URLField(allow_null=True, help_text="The previous (newer) page, or null"),
        "results": child(many=True),
    })
    return extend_schema_serializer(component_name=name)(cls)


def paginate(*, view, request, queryset, serialize) -> dict:
    """One cursor page of `queryset` (ordered -created_at, -id), rendered by `serialize(rows)`."""
    paginator = CursorPagination()
    rows = paginator.paginate_queryset(queryset, request, view=view)
    return {"next": paginator.get_next_link(), "previous": paginator.get_previous_link(),
            "results": serialize(rows)}


def page_size_of(request, default: int = CursorPagination.page_size) -> int:
    """`?page_size=` as CursorPagination reads it: a positive integer capped at 100; anything else
    means the default."""
    raw = request.query_params.get(CursorPagination.page_size_query_param)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return min(value, CursorPagination.max_page_size) if value > 0 else default


def keyset_page(*, request, results: list, next_cursor: str | None) -> dict:
    """A page of a keyset-paginated list (newest first, forward only: `previous` is always null)."""
    next_url = replace_query_param(request.build_absolute_uri(), "cursor", next_cursor) if next_cursor else None
    return {"next": next_url, "previous": None, "results": results}
