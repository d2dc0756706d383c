"""Bearer-token authentication: simplejwt's `JWTAuthentication`, with the user read by one
prepared statement (`users.selectors.user_by_id`) instead of an ORM `.get()`, whose compiling
cost as much CPU as the rest of the authentication. The checks are simplejwt's own, in its order:
a token without a user id is invalid; an unknown user, an inactive user and (when
CHECK_REVOKE_TOKEN is on) a token issued before the last password change are refused."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from .selectors import user_by_id


class JWTAuthentication(authentication.JWTAuthentication):
    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        user = user_by_id(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and (
                validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password)):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI bearer scheme drf-spectacular gives simplejwt's class, for this one."""

    target_class = "cozonpay.users.authentication.JWTAuthentication"
