"""`GET /api/v1/transactions`: the one feed of a customer's money movements (payments/feed.py)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cozonpay.exceptions import ValidationFailed
from cozonpay.fields import MomentField
from cozonpay.pagination import CURSOR_PARAMETERS, keyset_page, page_size_of, paginated_serializer
from cozonpay.rendering import Renderer
from cozonpay.schema import ERROR_RESPONSES

from .. import feed


class TransactionListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        type = serializers.ChoiceField(choices=feed.feed_types(), required=False)
        status = serializers.ChoiceField(choices=feed.feed_statuses(), required=False)
        to = MomentField(required=False, end_of_day=True)
        cursor = serializers.CharField(required=False, max_length=200)

    FilterSerializer._declared_fields["from"] = MomentField(required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        type = serializers.ChoiceField(choices=feed.feed_types())
        reference = serializers.CharField()
        status = serializers.CharField()
        amount = serializers.IntegerField(help_text="kobo (always positive; the type says the direction)")
        currency = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        parameters=[
            OpenApiParameter("type", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False, enum=feed.feed_types()),
            OpenApiParameter("status", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             enum=feed.feed_statuses()),
            OpenApiParameter("from", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description="ISO 8601 date or date-time, inclusive"),
            OpenApiParameter("to", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description="ISO 8601 date (inclusive) or date-time (exclusive)"),
            *CURSOR_PARAMETERS,
        ],
        responses={200: paginated_serializer(OutputSerializer, "PaginatedTransactionList"), **ERROR_RESPONSES},
        tags=["transactions"], operation_id="transactions_list",
        summary="Deposits, transfers, withdrawals, refunds and reversals, newest first",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        try:
            page = feed.transaction_feed(user=request.user, type=values.get("type"), status=values.get("status"),
                                         since=values.get("from"), until=values.get("to"),
                                         cursor=values.get("cursor"), limit=page_size_of(request))
        except ValueError:
            raise ValidationFailed(fields={"cursor": ["This cursor is not valid."]})
        results = _render_item.many(page.items)
        return Response(keyset_page(request=request, results=results, next_cursor=page.next_cursor))


_render_item = Renderer(TransactionListApi.OutputSerializer)
