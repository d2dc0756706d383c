"""Accounts: registration, tokens, the profile, the transaction PIN and KYC.

Views parse, call a service, render. Serializers declare every field explicitly, so a client can
never set tier, balances, status or ownership."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenRefreshView

from audit.services import Actor, audit_record
from cozonpay.exceptions import DomainError, ValidationFailed
from cozonpay.fields import StrictCharField
from cozonpay.schema import ERROR_RESPONSES
from cozonpay.throttling import LoginAccountThrottle, LoginIpThrottle

from . import selectors, services
from .models import User, email_is

_PHONE_RE = re.compile(r"^(?:\+234|234|0)([789][01]\d{8})$")
_PIN_RE = re.compile(r"^\d{4}$")
_ELEVEN_DIGITS = re.compile(r"^\d{11}$")


def normalize_phone(value: str) -> str:
    compact = re.sub(r"[\s\-()]", "", value or "")
    match = _PHONE_RE.match(compact)
    if not match:
        raise serializers.ValidationError("Enter a Nigerian mobile number, e.g. 08031234567 or +2348031234567.")
    return "+234" + match.group(1)


class PinField(StrictCharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("min_length", 4)
        kwargs.setdefault("max_length", 4)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not _PIN_RE.match(value):
            raise serializers.ValidationError("The PIN is a string of 4 digits.")
        return value


class LimitsSerializer(serializers.Serializer):
    single_max = serializers.IntegerField(help_text="kobo")
    daily_max = serializers.IntegerField(help_text="kobo")
    balance_max = serializers.IntegerField(allow_null=True, help_text="kobo; null means no cap")


class MeOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    phone_number = serializers.CharField(allow_null=True)
    kyc_tier = serializers.IntegerField()
    limits = LimitsSerializer()
    has_pin = serializers.BooleanField()
    created_at = serializers.DateTimeField()


def render_me(user: User) -> dict:
    return MeOutputSerializer(
        {
            "id": user.pk, "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
            "phone_number": user.phone_number, "kyc_tier": user.kyc_tier,
            "limits": selectors.user_limits(user=user), "has_pin": user.has_pin, "created_at": user.created_at,
        }
    ).data


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
        first_name = serializers.CharField(max_length=80)
        last_name = serializers.CharField(max_length=80)
        phone_number = serializers.CharField(max_length=20)

        def validate_email(self, value: str) -> str:
            value = value.strip().lower()
            if User.objects.filter(email_is(value)).exists():
                raise serializers.ValidationError("An account with this email already exists.")
            return value

        def validate_phone_number(self, value: str) -> str:
            phone = normalize_phone(value)
            if User.objects.filter(phone_number=phone).exists():
                raise serializers.ValidationError("An account with this phone number already exists.")
            return phone

        def validate(self, attrs):
            candidate = User(email=attrs["email"], first_name=attrs["first_name"], last_name=attrs["last_name"])
            try:
                validate_password(attrs["password"], user=candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)})
            return attrs

    @extend_schema(request=InputSerializer, responses={201: MeOutputSerializer, **ERROR_RESPONSES},
                   auth=[], tags=["accounts"], summary="Register; an NGN wallet is opened")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = services.user_register(**data.validated_data)
        except IntegrityError:
            raise ValidationFailed(fields={"email": ["An account with this email or phone number already exists."]})
        return Response(render_me(user), status=status.HTTP_201_CREATED)


class TokenObtainApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginIpThrottle, LoginAccountThrottle]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})

    class OutputSerializer(serializers.Serializer):
        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, **ERROR_RESPONSES},
                   auth=[], tags=["accounts"], summary="Obtain an access and a refresh token")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].strip().lower()
        user = authenticate(request, email=email, password=data.validated_data["password"])
        if user is None or not user.is_active:
            audit_record(action="auth.login.failed", actor=Actor.anonymous(), references=[],
                         payload={"email": email, "channel": "api"})
            # One message whatever was wrong, so the endpoint does not reveal which emails exist.
            raise DomainError("Email or password is incorrect.", code="not_authenticated", http_status=401)
        refresh = RefreshToken.for_user(user)
        audit_record(action="auth.login.succeeded", actor=user, subject=user, references=[user.pk],
                     payload={"channel": "api"})
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class TokenRefreshApi(TokenRefreshView):
    """Rotates the refresh token; the old one is blacklisted and cannot be used again."""

    authentication_classes: list = []
    throttle_classes = [LoginIpThrottle]

    @extend_schema(tags=["accounts"], summary="Rotate the refresh token",
                   responses={200: TokenObtainApi.OutputSerializer, **ERROR_RESPONSES})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutApi(APIView):
    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={204: None, **ERROR_RESPONSES}, tags=["accounts"],
                   summary="Blacklist the refresh token")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token = RefreshToken(data.validated_data["refresh"])
        except TokenError:
            raise ValidationFailed(fields={"refresh": ["This refresh token is invalid or expired."]})
        if str(token.get(settings.SIMPLE_JWT["USER_ID_CLAIM"])) != str(request.user.pk):
            raise ValidationFailed(fields={"refresh": ["This refresh token is invalid or expired."]})
        token.blacklist()
        audit_record(action="auth.logout", actor=request.user, subject=request.user, references=[request.user.pk])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(responses={200: MeOutputSerializer, **ERROR_RESPONSES}, tags=["accounts"], summary="My profile")
    def get(self, request):
        return Response(render_me(request.user))


class PinSetApi(APIView):
    class InputSerializer(serializers.Serializer):
        pin = PinField()
        password = serializers.CharField(write_only=True, required=False, max_length=128)
        current_pin = PinField(required=False)

        def validate(self, attrs):
            if ("password" in attrs) == ("current_pin" in attrs):
                raise serializers.ValidationError(
                    "Send the password to set a PIN, or current_pin to change it (exactly one of them)."
                )
            return attrs

    @extend_schema(request=InputSerializer, responses={204: None, **ERROR_RESPONSES}, tags=["accounts"],
                   summary="Set or change the 4-digit transaction PIN")
    def put(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.pin_set(user=request.user, pin=data.validated_data["pin"],
                         password=data.validated_data.get("password"),
                         current_pin=data.validated_data.get("current_pin"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class KycSubmitApi(APIView):
    class InputSerializer(serializers.Serializer):
        bvn = StrictCharField(required=False, write_only=True, max_length=11)
        nin = StrictCharField(required=False, write_only=True, max_length=11)

        def validate_bvn(self, value):
            if not _ELEVEN_DIGITS.match(value):
                raise serializers.ValidationError("A BVN is 11 digits.")
            return value

        def validate_nin(self, value):
            if not _ELEVEN_DIGITS.match(value):
                raise serializers.ValidationError("A NIN is 11 digits.")
            return value

        def validate(self, attrs):
            if not attrs.get("bvn") and not attrs.get("nin"):
                raise serializers.ValidationError("Send a bvn or a nin (11 digits).")
            return attrs

    @extend_schema(request=InputSerializer, responses={200: MeOutputSerializer, **ERROR_RESPONSES}, tags=["accounts"],
                   summary="Submit a BVN or NIN; raises the tier and opens the dedicated deposit account")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_kyc_submit(user=request.user, bvn=data.validated_data.get("bvn"),
                                        nin=data.validated_data.get("nin"))
        return Response(render_me(user))

