"""Routes of the public API, /api/v1/. Each app contributes its own urls module."""

from django.urls import include, path

urlpatterns = [
    path("", include("cozonpay.users.urls")),
    path("", include("payments.urls")),
    path("", include("wallets.urls")),
]
