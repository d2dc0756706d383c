from django.urls import path

from .apis import banks, disputes

urlpatterns = [
    path("banks", banks.BankListApi.as_view(), name="banks-list"),
    path("banks/resolve", banks.BankAccountResolveApi.as_view(), name="banks-resolve"),
    path("disputes", disputes.DisputeListCreateApi.as_view(), name="disputes"),
    path("disputes/<uuid:dispute_id>", disputes.DisputeDetailApi.as_view(), name="dispute-detail"),
]
