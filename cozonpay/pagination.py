"""Cursor pagination as API.md describes: ?cursor=...&page_size=N (N <= 100)."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")
