from django.urls import path

from . import apis

urlpatterns = [
    path("monnify", apis.monnify_webhook, name="webhook-monnify"),
]
