from django.urls import path

from . import apis

urlpatterns = [
    path("wallets", apis.WalletListApi.as_view(), name="wallets-list"),
    path("wallets/<uuid:id>", apis.WalletDetailApi.as_view(), name="wallets-detail"),
    path("wallets/<uuid:id>/statement", apis.WalletStatementApi.as_view(), name="wallets-statement"),
    path("transfers", apis.TransferListCreateApi.as_view(), name="transfers"),
    path("transfers/<uuid:id>", apis.TransferDetailApi.as_view(), name="transfers-detail"),
]
