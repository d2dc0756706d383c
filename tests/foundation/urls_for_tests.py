"""A URLconf with views that fail on purpose, to test the error envelope."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class Boom(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")


class Echo(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        amount = serializers.IntegerField(min_value=1)

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


def plain_boom(request):
    raise ValueError("plain django view failure with internals")


urlpatterns = [
    path("api/v1/test/boom", Boom.as_view()),
    path("api/v1/test/echo", Echo.as_view()),
    path("api/v1/test/plain-boom", plain_boom),
    path("", include("cozonpay.urls")),
]
