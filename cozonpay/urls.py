from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from payments import views as payment_views

from . import health

admin.site.site_header = "CozonPay back office"
admin.site.site_title = "CozonPay back office"
admin.site.index_title = "Dashboard"

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("api/v1/", include("cozonpay.api_urls")),
    path("webhooks/", include("webhooks.urls")),
    path("payments/return", payment_views.checkout_return, name="payments-return"),
    path("payments/return/status", payment_views.checkout_return_status, name="payments-return-status"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # GET only: DRF would answer OPTIONS through the page's HTML renderer, which has no template for it (a 500).
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema", http_method_names=["get", "head"]),
         name="swagger-ui"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
