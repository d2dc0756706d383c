"""Notifications of the public API: `GET /notifications`, `POST /notifications/{id}/read`."""

from __future__ import annotations

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cozonpay.exceptions import NotFound
from cozonpay.pagination import CURSOR_PARAMETERS, paginate, paginated_serializer
from cozonpay.schema import ERROR_RESPONSES

from ..models import Notification
from ..services.notifications import notification_mark_read


class NotificationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField(help_text="e.g. transfer.sent, transfer.received")
    title = serializers.CharField()
    body = serializers.CharField()
    read = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class NotificationListApi(APIView):
    @extend_schema(parameters=CURSOR_PARAMETERS,
                   responses={200: paginated_serializer(NotificationSerializer, "PaginatedNotificationList"),
                              **ERROR_RESPONSES},
                   tags=["notifications"], summary="My notifications, newest first",
                   operation_id="notifications_list")
    def get(self, request):
        queryset = Notification.objects.filter(user=request.user).only(
            "id", "kind", "title", "body", "read", "created_at"
        )
        return Response(paginate(view=self, request=request, queryset=queryset,
                                 serialize=lambda rows: NotificationSerializer(rows, many=True).data))


class NotificationReadApi(APIView):
    @extend_schema(request=None, parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
                   responses={204: None, **ERROR_RESPONSES}, tags=["notifications"], summary="Mark as read")
    def post(self, request, id: uuid.UUID):
        notification = Notification.objects.filter(user=request.user, pk=id).first()
        if notification is None:
            raise NotFound("Notification not found.")
        notification_mark_read(notification=notification)
        return Response(status=status.HTTP_204_NO_CONTENT)
